"""/metrics in the Prometheus text format, for operators who may view chargers and for API keys with `read`.

Several daphne processes share one port (WEB_CONCURRENCY), so a scrape reaches one of them at random: counters
kept per process would each tell a part of the story. Every value here is read from the database at scrape time
instead, with a few aggregate queries on indexed columns (recent windows for the large tables), so any process
tells the whole fleet's truth and a restart loses nothing. Windowed values are gauges ("frames in the last
minute"), not counters: the message log is pruned, so a total would go down.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from chargers import selectors as chargers_selectors
from chargers.models import ChargePoint
from webhooks import selectors as webhooks_selectors

FRAMES_WINDOW = timedelta(minutes=1)
COMMANDS_WINDOW = timedelta(days=1)
FAILURES_WINDOW = timedelta(hours=1)
MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


class PortalCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from _chargers()
        yield _frames(since=now - FRAMES_WINDOW)
        yield from _commands(now=now)
        yield from _webhooks(now=now)


def _chargers() -> Iterator[Metric]:
    connected, by_status = chargers_selectors.charge_point_counts()
    yield GaugeMetricFamily("portal_chargers_connected", "Chargers connected now (JSON or SOAP)", value=connected)
    registered = GaugeMetricFamily("portal_chargers", "Chargers by registration status", labels=["registration_status"])
    for status, count in sorted(by_status.items()):
        registered.add_metric([status], count)
    yield registered


def _frames(*, since) -> Metric:
    frames = GaugeMetricFamily(
        "portal_ocpp_frames_last_minute",
        "OCPP frames in the message log during the last minute, by direction, type (a CALL, or its outcome: "
        "CALLRESULT or CALLERROR; 'invalid' for a frame that did not parse) and action",
        labels=["direction", "message_type", "action"],
    )
    for direction, message_type, action, count in chargers_selectors.message_log_counts(since=since):
        frames.add_metric([direction, MESSAGE_TYPES.get(message_type, "invalid"), action], count)
    return frames


def _commands(*, now) -> Iterator[Metric]:
    outcomes = GaugeMetricFamily(
        "portal_commands_last_day",
        "Commands created during the last 24 hours, by action and status (queued, sent, accepted, rejected, failed, "
        "timed_out, expired, cancelled)",
        labels=["action", "status"],
    )
    for action, status, count in chargers_selectors.command_counts(since=now - COMMANDS_WINDOW):
        outcomes.add_metric([action, status], count)
    yield outcomes
    queued = GaugeMetricFamily(
        "portal_commands_queued", "Queued commands that are due, by charger online", labels=["charger_online"]
    )
    oldest = GaugeMetricFamily(
        "portal_command_queue_oldest_seconds",
        "Seconds the longest-waiting due command has waited (a charger that is online normally gets it at once)",
        labels=["charger_online"],
    )
    queue = chargers_selectors.command_queue(now=now)
    for online in (True, False):
        count, since = queue.get(online, (0, None))
        label = [str(online).lower()]
        queued.add_metric(label, count)
        oldest.add_metric(label, (now - since).total_seconds() if since else 0)
    yield queued
    yield oldest


def _webhooks(*, now) -> Iterator[Metric]:
    readings = webhooks_selectors.delivery_readings(now=now, failures_since=now - FAILURES_WINDOW)
    yield GaugeMetricFamily(
        "portal_webhook_delivery_failures_last_hour",
        "Webhook delivery attempts that failed during the last hour",
        value=readings["failed"],
    )
    yield GaugeMetricFamily(
        "portal_webhook_deliveries_waiting",
        "Webhook deliveries not made yet (due or retrying later)",
        value=readings["waiting"],
    )
    overdue_since = readings["overdue_since"]
    yield GaugeMetricFamily(
        "portal_webhook_deliveries_waiting_oldest_seconds",
        "Seconds since the longest-overdue webhook delivery came due (a backlog of the workers)",
        value=(now - overdue_since).total_seconds() if overdue_since else 0,
    )
    yield GaugeMetricFamily(
        "portal_webhooks_failing", "Active webhooks whose receiver failed its last attempt", value=readings["failing"]
    )


registry = CollectorRegistry(auto_describe=False)
registry.register(PortalCollector())


class PlainTextRenderer(BaseRenderer):
    """Lets a scraper that accepts only text/plain through content negotiation (and reads a refusal as text)."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data: object, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> str:
        return str(data.get("detail", data)) if isinstance(data, dict) else str(data)


class MetricsView(APIView):
    """Prometheus scrape target: `Authorization: Token <key>` (a key with `read`) or an operator's session."""

    # OperatorPermission: the permission to view chargers; ApiKeyScopePermission: `read` for a GET.
    permission_model = ChargePoint
    renderer_classes = [JSONRenderer, PlainTextRenderer]

    @extend_schema(exclude=True)  # not part of the REST API under /api/v1/
    def get(self, request: Request) -> HttpResponse:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return HttpResponse(encoder(registry), content_type=content_type)
