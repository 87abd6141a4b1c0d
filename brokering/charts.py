"""Server-side SVG charts for reports (matplotlib, Agg backend, no pyplot).

A Figure is built per call rather than through pyplot's global state, so
concurrent requests in threads never draw on each other's charts. Every chart
comes with a text description for people who cannot see it.
"""

import io
import re

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from brokering.selectors.reports import Chart

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
    svg = svg[svg.index("<svg") :]
    # The description is given next to the chart; screen readers skip the drawing itself.
    return re.sub(r"<svg ", '<svg aria-hidden="true" focusable="false" ', svg, count=1)
