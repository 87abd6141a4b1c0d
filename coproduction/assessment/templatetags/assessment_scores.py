"""How a score and a gap read on the results pages: in words and figures,
never in colour alone."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from coproduction.assessment.models import Score

register = template.Library()


@register.filter
def score(value: float | None) -> str:
    """2.25 -> "2.3 of 3 (Mostly)"; None -> "No answers"."""
    if value is None:
        return _("No answers")
    nearest = Score(min(Score.COMPLETELY, max(Score.NOT_AT_ALL, int(value + 0.5))))
    return _("%(figure).1f of 3 (%(word)s)") % {"figure": value, "word": nearest.label}


@register.filter
def gap(value: float | None) -> str:
    """Staff score minus members': which side rates it higher, and by how much."""
    if value is None:
        return "–"
    if abs(value) < 0.05:  # rounds to 0.0
        return _("The same")
    if value > 0:
        return _("Staff %(figure).1f higher") % {"figure": value}
    return _("Members %(figure).1f higher") % {"figure": -value}
