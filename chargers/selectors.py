"""Reads for charge points."""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest

from chargers.models import (
    ChargePoint,
    Command,
    CommandStatus,
    ConnectionAttempt,
    Connector,
    MessageLog,
    RegistrationStatus,
)
from transactions.models import MeterValue, Transaction


def charge_point_list() -> QuerySet[ChargePoint]:
    """Charge points with their connectors and `live_power_w`.

    Live power is the sum over the outlets (connector 1..n). Connector 0 is the charger as a whole: its meter
    already counts the outlets, so it is used only when no outlet reports power (else it would count twice).
    """
    return ChargePoint.objects.prefetch_related("connectors").annotate(
        live_power_w=Coalesce(
            Sum("connectors__power_w", filter=Q(connectors__connector_id__gt=0)),
            Sum("connectors__power_w", filter=Q(connectors__connector_id=0)),
        )
    )


def charge_point_get(*, charge_point_id: str) -> ChargePoint:
    return charge_point_list().get(charge_point_id=charge_point_id)


def charge_point_registration_status(*, pk: int) -> str | None:
    """The registration status on record (None for a charger deleted meanwhile)."""
    return ChargePoint.objects.filter(pk=pk).values_list("registration_status", flat=True).first()


def soap_charger(*, pk: int) -> ChargePoint | None:
    """A charger as the SOAP sender needs it (its id, registration, transport and addresses)."""
    return (
        ChargePoint.objects.only(
            "charge_point_id", "registration_status", "transport", "soap_address", "soap_address_override"
        )
        .filter(pk=pk)
        .first()
    )


def charge_point_id_exists(*, charge_point_id: str) -> bool:
    return ChargePoint.objects.filter(charge_point_id=charge_point_id).exists()


# --- The fleet by state (the dashboard's tiles and the list's filter; live/fleet.js applies the same rule) ---------

FLEET_STATES = ("available", "charging", "faulted", "offline", "pending")
CHARGING_STATUSES = ("Charging", "SuspendedEV", "SuspendedEVSE")
FAULTED_STATUSES = ("Faulted",)
# A charger that said nothing (no frame, no heartbeat) for this long is "not heard from".
SILENT_AFTER = timedelta(minutes=15)


def _with_connector_flags(charge_points: QuerySet[ChargePoint]) -> QuerySet[ChargePoint]:
    def any_connector(statuses: tuple[str, ...]) -> Exists:
        return Exists(Connector.objects.filter(charge_point=OuterRef("pk"), status__in=statuses))

    return charge_points.annotate(
        has_faulted_connector=any_connector(FAULTED_STATUSES), has_charging_connector=any_connector(CHARGING_STATUSES)
    )


def _state_conditions() -> dict[str, Q]:
    """Each state as a condition on a charger: pending before anything else, then offline; an online charger is
    faulted when a connector is, else charging when a connector charges, else available."""
    pending = Q(registration_status=RegistrationStatus.PENDING)
    online = Q(is_online=True) & ~pending
    return {
        "available": online & Q(has_faulted_connector=False, has_charging_connector=False),
        "charging": online & Q(has_faulted_connector=False, has_charging_connector=True),
        "faulted": online & Q(has_faulted_connector=True),
        "offline": Q(is_online=False) & ~pending,
        "pending": pending,
    }


def charge_points_in_state(*, charge_points: QuerySet[ChargePoint], state: str) -> QuerySet[ChargePoint]:
    if state not in FLEET_STATES:
        raise ValueError(f"state must be one of {FLEET_STATES}")
    return _with_connector_flags(charge_points).filter(_state_conditions()[state])


def fleet_state_counts() -> dict[str, int]:
    """How many chargers are in each of FLEET_STATES (one query)."""
    conditions = _state_conditions()
    counts = _with_connector_flags(ChargePoint.objects.all()).aggregate(
        **{state: Count("pk", filter=conditions[state]) for state in FLEET_STATES}
    )
    return {state: counts[state] for state in FLEET_STATES}


def charge_points_silent(*, now: datetime) -> QuerySet[ChargePoint]:
    """Accepted chargers not heard from for SILENT_AFTER (or never)."""
    return ChargePoint.objects.filter(registration_status=RegistrationStatus.ACCEPTED).filter(
        Q(last_seen__isnull=True) | Q(last_seen__lt=now - SILENT_AFTER)
    )


# Searched by the list's search box; one list, shown in the box's placeholder too.
SEARCH_FIELDS = ("charge_point_id", "name", "serial_number", "charge_box_serial_number", "vendor")


def charge_point_search(
    *,
    state: str = "",
    online: bool | None = None,
    site_pk: int | None = None,
    model: str = "",
    firmware: str = "",
    text: str = "",
) -> QuerySet[ChargePoint]:
    """The charger list, filtered: each filter given narrows it; `text` is searched in SEARCH_FIELDS."""
    charge_points = charge_point_list().select_related("site", "charger_model")
    if state:
        charge_points = charge_points_in_state(charge_points=charge_points, state=state)
    if online is not None:
        charge_points = charge_points.filter(is_online=online)
    if site_pk is not None:
        charge_points = charge_points.filter(site_id=site_pk)
    if model:
        charge_points = charge_points.filter(model=model)
    if firmware:
        charge_points = charge_points.filter(firmware_version=firmware)
    if text:
        found = Q()
        for name in SEARCH_FIELDS:
            found |= Q(**{f"{name}__icontains": text})
        charge_points = charge_points.filter(found)
    return charge_points.order_by("charge_point_id")


def charge_point_facets() -> dict[str, list[str]]:
    """The models and firmware versions chargers reported, for the list's filters."""

    def distinct(field: str) -> list[str]:
        values = ChargePoint.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
        return sorted(values.order_by())

    return {"models": distinct("model"), "firmware": distinct("firmware_version")}


def dashboard_summary() -> dict:
    counts = ChargePoint.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(is_online=True)),
        pending=Count("id", filter=Q(registration_status=RegistrationStatus.PENDING)),
    )
    counts["active_transactions"] = Transaction.objects.filter(stopped_at__isnull=True).count()
    counts["refused_connections"] = ConnectionAttempt.objects.order_by("-created_at")[:10]
    counts["pending_chargers"] = ChargePoint.objects.filter(registration_status=RegistrationStatus.PENDING)[:20]
    return counts


# --- Readings for /metrics (aggregates, read at each scrape) ----------------------------------------------------


def charge_point_counts() -> tuple[int, dict[str, int]]:
    """(chargers connected now, chargers by registration status)."""
    rows = ChargePoint.objects.values("registration_status").annotate(
        total=Count("id"), online=Count("id", filter=Q(is_online=True))
    )
    by_status = {row["registration_status"]: row["total"] for row in rows}
    return sum(row["online"] for row in rows), by_status


def message_log_counts(*, since: datetime) -> list[tuple[str, int | None, str, int]]:
    """Frames in the message log since `since`: (direction, message type, action, count); by the created_at
    index, so keep the window short."""
    rows = (
        MessageLog.objects.filter(created_at__gte=since)
        .values_list("direction", "message_type", "action")
        .annotate(count=Count("id"))
        .order_by()
    )
    return list(rows)


def command_counts(*, since: datetime) -> list[tuple[str, str, int]]:
    """Commands created since `since` by (action, status)."""
    rows = Command.objects.filter(created_at__gte=since).values_list("action", "status").annotate(count=Count("id"))
    return list(rows.order_by())


def command_queue(*, now: datetime) -> dict[bool, tuple[int, datetime | None]]:
    """Queued commands that are due (not scheduled for later), by whether their charger is online: how many, and
    since when the longest-waiting one has been due."""
    due_since = Greatest("created_at", Coalesce("not_before", "created_at"))
    rows = (
        Command.objects.filter(status=CommandStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .values_list("charge_point__is_online")
        .annotate(count=Count("id"), oldest=Min(due_since))
        .order_by()
    )
    return {online: (count, oldest) for online, count, oldest in rows}


# --- A charger's page -------------------------------------------------------------------------------------------

LOG_TAIL_ROWS = 30
COMMANDS_SHOWN = 15
PHASES = ("L1", "L2", "L3")
# The per-phase measurands the charger page charts: (key, OCPP measurand, SI unit the readings are kept in).
PHASE_MEASURANDS = (("current_a", "Current.Import", "A"), ("voltage_v", "Voltage", "V"))
PHASE_CHART_WINDOW = timedelta(hours=2)
PHASE_CHART_MAX_ROWS = 6000


def message_log_tail(*, charge_point: ChargePoint, limit: int = LOG_TAIL_ROWS) -> list[MessageLog]:
    """The charger's newest frames, oldest first (the page appends new ones below)."""
    newest = MessageLog.objects.filter(charge_point=charge_point).order_by("-created_at", "-id")[:limit]
    return list(reversed(newest))


def commands_recent(*, charge_point: ChargePoint, limit: int = COMMANDS_SHOWN) -> QuerySet[Command]:
    return charge_point.commands.select_related("requested_by").order_by("-created_at", "-id")[:limit]


def configuration_keys(*, charge_point: ChargePoint) -> QuerySet:
    return charge_point.configuration.order_by("key")


def phase_series(*, charge_point_pk: int, since: datetime) -> dict[str, list[dict]]:
    """For each of PHASE_MEASURANDS, one line per (connector, phase): [(unix time, value)], oldest first."""
    measurands = {measurand: key for key, measurand, _ in PHASE_MEASURANDS}
    units = {measurand: unit for _, measurand, unit in PHASE_MEASURANDS}
    rows = (
        MeterValue.objects.filter(
            charge_point_id=charge_point_pk, timestamp__gte=since, measurand__in=measurands, value__isnull=False
        )
        .exclude(phase="")
        .order_by("-timestamp", "-id")
        .values_list("connector_id", "measurand", "phase", "timestamp", "value", "si_unit")[:PHASE_CHART_MAX_ROWS]
    )
    lines: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
    for connector_id, measurand, phase, timestamp, value, si_unit in reversed(rows):
        # "L1" and "L1-N" are the same phase's voltage (transactions/readings.py counts each phase once too).
        if phase[:2] in PHASES and si_unit == units[measurand]:
            lines.setdefault((measurands[measurand], connector_id, phase[:2]), []).append(
                (timestamp.timestamp(), float(value))
            )
    series: dict[str, list[dict]] = {key: [] for key, _, _ in PHASE_MEASURANDS}
    for (key, connector_id, phase), points in sorted(lines.items()):
        series[key].append({"connector": connector_id, "phase": phase, "points": points})
    return series


def message_log_list(*, charge_point: ChargePoint | None = None) -> QuerySet[MessageLog]:
    """OCPP frames in and out, newest first; one charger's when given."""
    messages = MessageLog.objects.select_related("charge_point")
    return messages if charge_point is None else messages.filter(charge_point=charge_point)


def connection_attempt_list(*, charge_point: ChargePoint | None = None) -> QuerySet[ConnectionAttempt]:
    """Refused websocket handshakes, newest first; those naming one charger when given (by row or by the id it
    gave, since an unknown charger has no row)."""
    attempts = ConnectionAttempt.objects.select_related("charge_point")
    if charge_point is None:
        return attempts
    return attempts.filter(Q(charge_point=charge_point) | Q(charge_point_ident=charge_point.charge_point_id))
