"""Filters for involvement pages: pence as money, minutes as hours."""

from django import template

from coproduction.involvement.money import format_pence
from core.communication import need_label
from timebank.hours import format_minutes

register = template.Library()


@register.filter
def pence(value: int | None) -> str:
    """150 -> "£1.50"; empty for None."""
    return "" if value is None else format_pence(int(value))


@register.filter
def minutes(value: int | None) -> str:
    """90 -> "1½ hours"; empty for None."""
    return "" if value is None else format_minutes(int(value))


@register.filter
def need(code: str) -> str:
    """A communication need's code in words: "large-print" -> "Large print"."""
    return need_label(str(code))
