"""Server-side SVG charts for reports (matplotlib, Agg backend, no pyplot).

A Figure is built per call rather than through pyplot's global state, so
concurrent requests in threads never draw on each other's charts. Every chart
comes with a text description for people who cannot see it.

Invariants:
- Every label is plain text. Labels are names people typed (categories,
  services, organisations, timebanks); matplotlib would otherwise read text
  between two $ signs as TeX maths, drawing "$5 and $10" wrongly and failing
  outright on a name like "$\\frac$".
- The SVG is inlined in pages served under a Content-Security-Policy without
  'unsafe-inline' for styles, so it carries no style attributes and no <style>
  element: matplotlib's styles are rewritten as SVG presentation attributes,
  which draw the same and are not styles as far as the policy is concerned.
"""

import io
import re

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from brokering.selectors.reports import Chart

# Set once at import, before any request draws: a Text reads these when it is
# made, and tick labels are made late (while drawing), so passing
# parse_math=False to each call would miss them. No other module uses matplotlib.
matplotlib.rcParams["text.parse_math"] = False
matplotlib.rcParams["text.usetex"] = False

ACCENT = "#1d5e3b"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def describe(chart: Chart) -> str:
    """The chart in words, e.g. "Bar chart: Hours by category. Gardening 3 hours; Music 1.5 hours."."""
    kind = "Horizontal bar chart" if chart.kind == "barh" else "Bar chart"
    if not chart.labels:
        return f"{kind}: {chart.title}. There is no data for this period."
    unit = chart.value_label.lower()
    parts = "; ".join(f"{label} {_number(value)} {unit}" for label, value in zip(chart.labels, chart.values))
    return f"{kind}: {chart.title}. {parts}."


def render_svg(chart: Chart) -> str:
    """The chart as an inline <svg> element (no XML prologue, no fixed ids that could clash)."""
    rows = max(len(chart.labels), 1)
    height = 1.2 + 0.35 * rows if chart.kind == "barh" else 3.6
    figure = Figure(figsize=(7.5, min(height, 9)), dpi=72)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(chart.labels)))
    if chart.kind == "barh":
        axes.barh(positions, chart.values, color=ACCENT)
        axes.set_yticks(positions, chart.labels)
        axes.invert_yaxis()
        axes.set_xlabel(chart.value_label)
    else:
        axes.bar(positions, chart.values, color=ACCENT)
        axes.set_xticks(
            positions,
            chart.labels,
            rotation=30 if len(chart.labels) > 6 else 0,
            ha="right" if len(chart.labels) > 6 else "center",
        )
        axes.set_ylabel(chart.value_label)
    if not chart.labels:
        axes.text(0.5, 0.5, "No data for this period", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(chart.title)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = _without_styles(svg[svg.index("<svg") :])
    # The description is given next to the chart; screen readers skip the drawing itself.
    return re.sub(r"<svg ", '<svg aria-hidden="true" focusable="false" ', svg, count=1)


# matplotlib's SVG has one <style> rule for every element (`*{...}`) and a
# style="..." on many elements. A tag's style attribute can be matched safely:
# the text of labels only ever appears inside comments, where matplotlib
# escapes "<", so "<name ..." is always a real tag.
_STYLE_ELEMENT = re.compile(r"<style[^>]*>\*\{([^}]*)\}</style>\s*")
_STYLE_ATTRIBUTE = re.compile(r'(<[a-zA-Z][^<>]*?) style="([^"]*)"')


def _attributes(declarations: str) -> str:
    """CSS declarations ("fill: #fff; stroke-width: 0.8") as SVG presentation
    attributes (' fill="#fff" stroke-width="0.8"')."""
    pairs = [part.split(":", 1) for part in declarations.split(";") if ":" in part]
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _without_styles(svg: str) -> str:
    """The same drawing with presentation attributes instead of CSS."""
    every_element = _STYLE_ELEMENT.search(svg)
    if every_element:
        svg = _STYLE_ELEMENT.sub("", svg, count=1)
        # The properties of the `*` rule (stroke-linejoin, stroke-linecap) are
        # inherited, so setting them on the root reaches every element that does
        # not set its own, as the rule did.
        svg = svg.replace("<svg ", "<svg" + _attributes(every_element.group(1)) + " ", 1)
    return _STYLE_ATTRIBUTE.sub(lambda match: match.group(1) + _attributes(match.group(2)), svg)
