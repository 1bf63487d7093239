"""Operator pages of charging sessions: the list (filters, search, pages, CSV), one session (figures, charts,
meter values, CSV; live while it runs), and the sessions that look stuck, which an operator may close.

Thin: parse, call a selector or service, render. Operators only (staff with the view permission; viewers see
everything and close nothing); a customer's own sessions are at /me/ (live/views.py).
"""

import csv
from collections.abc import AsyncIterator, Callable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from live import selectors as live_selectors
from portal.decorators import operator_required
from transactions import selectors
from transactions.filters import TransactionPageFilter
from transactions.forms import CloseStaleForm
from transactions.models import MeterValue, Transaction
from transactions.selectors.figures import session_charts, session_figures, session_series
from transactions.selectors.stale import stale_session, stale_sessions
from transactions.services import transaction_close_stale

PAGE_SIZE = 50
METER_VALUES_PAGE_SIZE = 200
CSV_CHUNK_ROWS = 2000  # rows per database fetch
CSV_BLOCK_ROWS = 500  # rows per piece of the response


def _when(value) -> str:
    return "" if value is None else timezone.localtime(value).isoformat(timespec="seconds")


# The CSV columns, declared once: (header, value of a row).
TRANSACTION_COLUMNS: tuple[tuple[str, Callable[[Transaction], object]], ...] = (
    ("transaction_id", lambda t: t.pk),
    ("charge_point_id", lambda t: t.charge_point.charge_point_id),
    ("connector_id", lambda t: t.connector_id),
    ("id_tag", lambda t: t.id_tag),
    ("started_at", lambda t: _when(t.started_at)),
    ("stopped_at", lambda t: _when(t.stopped_at)),
    ("meter_start_wh", lambda t: t.meter_start_wh),
    ("meter_stop_wh", lambda t: "" if t.meter_stop_wh is None else t.meter_stop_wh),
    ("energy_kwh", lambda t: "" if t.energy_wh is None else f"{t.energy_wh / 1000:.3f}"),
    ("stop_reason", lambda t: t.stop_reason),
)
METER_VALUE_COLUMNS: tuple[tuple[str, Callable[[MeterValue], object]], ...] = (
    ("timestamp", lambda m: _when(m.timestamp)),
    ("measurand", lambda m: m.measurand),
    ("phase", lambda m: m.phase),
    ("location", lambda m: m.location),
    ("context", lambda m: m.context),
    ("raw_value", lambda m: m.raw_value),
    ("unit", lambda m: m.unit),
    ("value", lambda m: "" if m.value is None else m.value),
    ("si_unit", lambda m: m.si_unit),
)


class _Echo:
    """csv.writer writes into this and gets the line back: the response streams it, nothing piles up."""

    def write(self, value: str) -> str:
        return value


def _csv_response(request: HttpRequest, filename: str, columns: tuple, rows: QuerySet) -> StreamingHttpResponse:
    """The rows as CSV, fetched from the database in chunks while the response goes out. Under daphne (ASGI)
    Django would first read a plain iterator to its end into memory (StreamingHttpResponse.__aiter__), so there
    the rows come from an async iterator; a WSGI server (and the test client) gets a plain one, which it streams.
    """
    writer = csv.writer(_Echo())
    header = writer.writerow([name for name, _ in columns])

    def line(row: object) -> str:
        return writer.writerow([value(row) for _, value in columns])

    # Rows go out in blocks: one body message per row costs daphne more than writing the row.
    def lines() -> Iterator[str]:
        block = [header]
        for row in rows.iterator(chunk_size=CSV_CHUNK_ROWS):
            block.append(line(row))
            if len(block) >= CSV_BLOCK_ROWS:
                yield "".join(block)
                block = []
        yield "".join(block)

    async def lines_async() -> AsyncIterator[str]:
        block = [header]
        async for row in rows.aiterator(chunk_size=CSV_CHUNK_ROWS):
            block.append(line(row))
            if len(block) >= CSV_BLOCK_ROWS:
                yield "".join(block)
                block = []
        yield "".join(block)

    content = lines_async() if isinstance(request, ASGIRequest) else lines()
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filtered(request: HttpRequest) -> TransactionPageFilter:
    return TransactionPageFilter(request.GET, queryset=selectors.transaction_list())


@operator_required
@permission_required("transactions.view_transaction", raise_exception=True)
def transaction_list(request: HttpRequest) -> HttpResponse:
    filtered = _filtered(request)
    page = Paginator(filtered.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filtered, "page": page, "query": query.urlencode(), "now": timezone.now()}
    return render(request, "transactions/transaction_list.html", context)


@operator_required
@permission_required("transactions.view_transaction", raise_exception=True)
def transaction_list_csv(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    filtered = _filtered(request)
    if not filtered.is_valid():
        return HttpResponse(f"Bad filter: {filtered.errors.as_text()}", status=400, content_type="text/plain")
    return _csv_response(request, "transactions.csv", TRANSACTION_COLUMNS, filtered.qs)


@operator_required
@permission_required("transactions.view_transaction", raise_exception=True)
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.transaction_list(), pk=pk)
    series = session_series(transaction=session)
    values = Paginator(selectors.meter_value_list(transaction=session), METER_VALUES_PAGE_SIZE)
    context = {
        "session": session,
        # The figures the live feed keeps true (tx-power, tx-energy, tx-duration): the customer card's.
        "view": live_selectors.session_view(session=session),
        "figures": session_figures(transaction=session, series=series),
        "charts": session_charts(transaction=session, series=series),
        "meter_values": values.get_page(request.GET.get("page")),
        "stale": stale_session(transaction_pk=pk) if session.stopped_at is None else None,
        "may_close": request.user.has_perm("transactions.change_transaction"),
    }
    if session.stopped_at is None:
        context["live_feeds"] = [f"transaction:{session.pk}"]
    return render(request, "transactions/transaction_detail.html", context)


@operator_required
@permission_required("transactions.view_metervalue", raise_exception=True)
def transaction_meter_values_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    session = get_object_or_404(selectors.transaction_list(), pk=pk)
    rows = selectors.meter_value_list(transaction=session)
    return _csv_response(request, f"transaction-{session.pk}-meter-values.csv", METER_VALUE_COLUMNS, rows)


@operator_required
@permission_required("transactions.view_transaction", raise_exception=True)
def stale_list(request: HttpRequest) -> HttpResponse:
    context = {
        "stale": stale_sessions(),
        "form": CloseStaleForm(),
        "may_close": request.user.has_perm("transactions.change_transaction"),
    }
    return render(request, "transactions/stale_list.html", context)


@operator_required
@permission_required("transactions.change_transaction", raise_exception=True)
@require_POST
def stale_close(request: HttpRequest, pk: int) -> HttpResponse:
    form = CloseStaleForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Transaction #{pk} not closed: {form.errors.as_text()}")
        return redirect("transactions:stale-list")
    try:
        closed = transaction_close_stale(
            transaction_pk=pk,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            closed_by=request.user,
        )
    except ValidationError as error:
        messages.error(request, f"Transaction #{pk} not closed: {'; '.join(error.messages)}")
        return redirect("transactions:stale-list")
    messages.success(request, f"Transaction #{closed.pk} closed ({closed.stop_reason}), {closed.energy_wh} Wh.")
    return redirect("transactions:transaction-detail", pk=closed.pk)
