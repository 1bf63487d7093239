"""CSV next to JSON in the REST API (`?format=csv` or `Accept: text/csv`), declared once for every app's lists.

A view offering CSV takes `CsvOrJsonMixin`: the CSV body is the view's own (it streams every row, not a page),
and errors stay JSON whatever was asked for, so that a client reads the field at fault the same way always.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer


class CSVRenderer(BaseRenderer):
    """Named for content negotiation only: the views write their CSV themselves (csv_response)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: object, accepted_media_type: str | None = None, renderer_context: dict | None = None):
        # Only reached for an answer the view did not write itself (an error is switched to JSON before).
        return JSONRenderer().render(data)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(*, header: list[str], rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """A CSV download, streamed row by row: a long session's meter values never sit in memory as one body."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CsvOrJsonMixin:
    """For an APIView that offers CSV: JSON first (the default), CSV on request; errors always JSON."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def wants_csv(self) -> bool:
        return getattr(self.request.accepted_renderer, "format", None) == CSVRenderer.format

    def handle_exception(self, exc: Exception):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
