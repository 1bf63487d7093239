"""Numbers as the record pages show them."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def plain(value: Decimal | None) -> str:
    """A stored decimal without the column's trailing zeros (15.650000 -> 15.65, 1200.000000 -> 1200)."""
    if value is None:
        return "\N{EN DASH}"
    return f"{value.normalize():f}"
