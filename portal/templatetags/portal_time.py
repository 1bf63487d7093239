"""Times in the viewer's timezone: the server writes `<time datetime="ISO 8601 UTC">` with a readable UTC text,
and static/js/local-time.js rewrites the text in the browser's own timezone (the server cannot know it)."""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def local_time(value: datetime | None, missing: str = "\N{EN DASH}") -> str:
    """`{{ alert.raised_at|local_time }}`: a <time> element, or `missing` when there is no time."""
    if value is None:
        return missing
    at = value.astimezone(UTC)
    iso = at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return format_html('<time datetime="{}" data-local>{}</time>', iso, at.strftime("%Y-%m-%d %H:%M:%S UTC"))
