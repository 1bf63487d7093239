"""Reads for the live pages: whose sessions are whose, and the current state as the events would tell it.

A page (or a socket that reconnects) first needs what is true now; after that the events keep it true. So the
current state is given in the events' own shape (`*_events`), built with the same event classes the services
publish: the browser has one way to read both.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from chargers.events import ChargerOffline, ChargerOnline, connector_status_changed
from chargers.models import ChargePoint, Connector
from chargers.profiles.models import ByteOrder
from chargers.selectors import charge_point_list
from portal.models import ApiKey
from rfid.models import IdTag
from rfid.services import id_tag_normalize, id_tag_reversed_bytes
from transactions.events import ReadingLatest, transaction_started, transaction_stopped
from transactions.models import MeterValue, Transaction
from transactions.readings import OUTLET, POWER_IMPORT, Sample, power_point, stored_sample

# What rfid.services.id_tag_normalize strips, for the same rule in SQL (a test keeps the two in step).
ID_TAG_DELIMITERS = (" ", "\t", ":", "-", ".")
CHART_WINDOW = timedelta(hours=2)
CHART_MAX_ROWS = 3000

# --- Whose sessions ---------------------------------------------------------------------------------------


def _canonical_id_tag():
    """Transaction.id_tag is kept as the charger sent it; the tags are canonical (upper case, no delimiters)."""
    expression = F("id_tag")
    for delimiter in ID_TAG_DELIMITERS:
        expression = Replace(expression, Value(delimiter), Value(""))
    return Upper(expression)


def transactions_owned(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Transaction]:
    """The sessions started with the user's own id tags, as the portal authorized them: the tag as sent, or on
    a charger whose model reads cards in the other byte order, that order when the tag as sent is nobody's
    (rfid.services.id_tag_find)."""
    if not user.is_authenticated:
        return Transaction.objects.none()
    tags = list(IdTag.objects.filter(user=user).values_list("id_tag", flat=True))
    if not tags:
        return Transaction.objects.none()
    flipped = [other for tag in tags if (other := id_tag_reversed_bytes(id_tag=tag))]
    sessions = Transaction.objects.annotate(id_tag_canonical=_canonical_id_tag())
    mine = Q(id_tag_canonical__in=tags)
    if flipped:
        as_sent_is_a_tag = Exists(IdTag.objects.filter(id_tag=OuterRef("id_tag_canonical")))
        mine |= (
            Q(id_tag_canonical__in=flipped)
            & Q(charge_point__charger_model__rfid_byte_order=ByteOrder.LITTLE_ENDIAN)
            & ~Q(as_sent_is_a_tag)
        )
    return sessions.filter(mine).select_related("charge_point").order_by("-started_at", "-id")


def id_tag_owner_pk(*, id_tag: str, charge_point_pk: int) -> int | None:
    """Whose card started a session on this charger, by the rule of transactions_owned: the tag as sent, or
    its other byte order on a charger whose model reads cards little-endian when the tag as sent is nobody's.
    One query on the StartTransaction path; a second only in that rare other-byte-order case."""
    canonical = id_tag_normalize(raw=id_tag)
    flipped = id_tag_reversed_bytes(id_tag=canonical)
    owners = dict(IdTag.objects.filter(id_tag__in=[canonical, flipped or canonical]).values_list("id_tag", "user_id"))
    if canonical in owners:
        return owners[canonical]
    if flipped not in owners:
        return None
    little_endian = ChargePoint.objects.filter(
        pk=charge_point_pk, charger_model__rfid_byte_order=ByteOrder.LITTLE_ENDIAN
    ).exists()
    return owners[flipped] if little_endian else None


def sessions_running_owned_pks(*, user: AbstractBaseUser | AnonymousUser) -> list[int]:
    return list(transactions_owned(user=user).filter(stopped_at__isnull=True).values_list("pk", flat=True))


def transaction_is_owned(*, user: AbstractBaseUser | AnonymousUser, transaction_pk: int) -> bool:
    return transactions_owned(user=user).filter(pk=transaction_pk).exists()


def api_key_active(*, api_key_pk: int) -> bool:
    """Still a key that works: not revoked, its user still active (an open event stream asks now and then)."""
    return ApiKey.objects.filter(pk=api_key_pk, revoked_at__isnull=True, user__is_active=True).exists()


# --- The current state, as events ---------------------------------------------------------------------------


def charger_events(*, charge_point_pks: Iterable[int] | None = None) -> list[dict]:
    """Online or offline, each connector's status and newest reading, each running session: for the chargers
    named (all of them when None)."""
    chargers = ChargePoint.objects.only("pk", "charge_point_id", "is_online", "remote_addr")
    connectors = Connector.objects.select_related("charge_point").order_by("charge_point_id", "connector_id")
    running = Transaction.objects.filter(stopped_at__isnull=True).select_related("charge_point")
    if charge_point_pks is not None:
        pks = list(charge_point_pks)
        chargers = chargers.filter(pk__in=pks)
        connectors = connectors.filter(charge_point_id__in=pks)
        running = running.filter(charge_point_id__in=pks)
    events = []
    for charger in chargers:
        kind = ChargerOnline if charger.is_online else ChargerOffline
        events.append(kind(charge_point_pk=charger.pk, charge_point_id=charger.charge_point_id))
    running_by_connector = {(t.charge_point_id, t.connector_id): t for t in running}
    # Sessions before readings: a page reads a session's energy so far from its start.
    events.extend(
        transaction_started(transaction=t, charge_point_ident=t.charge_point.charge_point_id)
        for t in running_by_connector.values()
    )
    for connector in connectors:
        events.extend(_connector_events(connector, running_by_connector))
    return [_shape(event) for event in events]


def _connector_events(connector: Connector, running: dict[tuple[int, int], Transaction]) -> list:
    ident = connector.charge_point.charge_point_id
    events = []
    if connector.status:
        events.append(connector_status_changed(connector=connector, charge_point_id=ident))
    if connector.meter_timestamp is not None:
        session = running.get((connector.charge_point_id, connector.connector_id))
        events.append(_reading(connector, session.pk if session else None))
    return events


def _reading(connector: Connector, transaction_pk: int | None) -> ReadingLatest:
    return ReadingLatest(
        charge_point_pk=connector.charge_point_id,
        charge_point_id=connector.charge_point.charge_point_id,
        connector_id=connector.connector_id,
        transaction_pk=transaction_pk,
        timestamp=connector.meter_timestamp,
        power_w=connector.power_w,
        energy_wh=connector.energy_wh,
    )


def transaction_events(*, transaction_pks: Iterable[int]) -> list[dict]:
    """Each session as started, its connector's newest reading while it runs, and its end once it stopped."""
    sessions = Transaction.objects.filter(pk__in=list(transaction_pks)).select_related("charge_point")
    connectors = {
        (c.charge_point_id, c.connector_id): c
        for c in Connector.objects.select_related("charge_point").filter(
            charge_point_id__in={s.charge_point_id for s in sessions}
        )
    }
    events = []
    for session in sessions:
        events.append(transaction_started(transaction=session, charge_point_ident=session.charge_point.charge_point_id))
        connector = connectors.get((session.charge_point_id, session.connector_id))
        if session.stopped_at is not None:
            events.append(
                transaction_stopped(transaction=session, charge_point_ident=session.charge_point.charge_point_id)
            )
        elif connector is not None and connector.meter_timestamp is not None:
            events.append(_reading(connector, session.pk))
    return [_shape(event) for event in events]


def _shape(event) -> dict:
    return {"event": event.name, "data": event.data()}


# --- Power over time, for the charts -------------------------------------------------------------------------


def power_series(
    *, charge_point_pk: int | None = None, transaction_pk: int | None = None, since: datetime | None = None
) -> dict[int, list[tuple[float, float]]]:
    """connector id -> [(unix time, power in W)], oldest first: the power readings of a charger (the last two
    hours) or of one session, phases summed as the live power is (transactions.readings.latest_reading)."""
    rows = MeterValue.objects.filter(measurand=POWER_IMPORT, location=OUTLET, value__isnull=False)
    if transaction_pk is not None:
        rows = rows.filter(transaction_id=transaction_pk)
    else:
        rows = rows.filter(charge_point_id=charge_point_pk, timestamp__gte=since or timezone.now() - CHART_WINDOW)
    newest = rows.order_by("-timestamp", "-id").values_list(
        "connector_id", "timestamp", "measurand", "phase", "location", "value", "si_unit"
    )[:CHART_MAX_ROWS]
    grouped: dict[tuple[int, datetime], list[Sample]] = defaultdict(list)
    for connector_id, timestamp, measurand, phase, location, value, si_unit in newest:
        grouped[(connector_id, timestamp)].append(
            stored_sample(
                timestamp=timestamp, measurand=measurand, phase=phase, location=location, value=value, si_unit=si_unit
            )
        )
    series: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for (connector_id, _), samples in sorted(grouped.items(), key=lambda item: item[0][1]):
        if (point := power_point(samples)) is not None:
            series[connector_id].append(point)
    return dict(series)


def chart_lines_charger(*, charge_point: ChargePoint) -> dict:
    """The charger page's chart: one line per outlet (connector 0, the whole charger, only when it alone has
    readings), with the last two hours of power."""
    series = power_series(charge_point_pk=charge_point.pk)
    outlets = sorted({c.connector_id for c in charge_point.connectors.all() if c.connector_id > 0} | set(series))
    if len(outlets) > 1 and 0 in outlets and not any(series.get(i) for i in outlets if i > 0):
        outlets = [0]
    elif len(outlets) > 1:
        outlets = [i for i in outlets if i > 0]
    return {
        "lines": [
            {
                "label": f"Connector {connector_id}" if connector_id else "Charger",
                "cp": charge_point.pk,
                "connector": connector_id,
                "tx": None,
                "points": series.get(connector_id, []),
            }
            for connector_id in outlets or [1]
        ]
    }


def chart_lines_session(*, session: Transaction) -> dict:
    return {
        "lines": [
            {
                "label": "Power",
                "cp": session.charge_point_id,
                "connector": session.connector_id,
                "tx": session.pk,
                "points": power_series(transaction_pk=session.pk).get(session.connector_id, []),
            }
        ]
    }


def sessions_running(*, charge_point: ChargePoint) -> dict[int, Transaction]:
    """connector id -> its running session."""
    running = Transaction.objects.filter(charge_point=charge_point, stopped_at__isnull=True).order_by("started_at")
    return {session.connector_id: session for session in running}


def fleet_overview(*, limit: int = 50) -> dict:
    """The dashboard's live part: the first `limit` chargers with their connectors, and the fleet's totals (the
    page's script keeps them true from the fleet feed)."""
    chargers = list(charge_point_list()[:limit])
    return {
        "chargers": chargers,
        "more": ChargePoint.objects.count() > limit,
        "power_w": sum(power or 0 for power in charge_point_list().values_list("live_power_w", flat=True)),
    }


@dataclass(frozen=True)
class SessionView:
    """One session as a customer's page shows it."""

    session: Transaction
    power_w: Decimal | None  # now, while it runs
    energy_wh: Decimal | None  # so far while it runs, in all once it stopped
    chart: dict

    @property
    def chart_element_id(self) -> str:
        return f"power-series-{self.session.pk}"


def session_view(*, session: Transaction) -> SessionView:
    power_w = energy_wh = None
    if session.stopped_at is None:
        connector = Connector.objects.filter(
            charge_point_id=session.charge_point_id, connector_id=session.connector_id
        ).first()
        if connector is not None and connector.meter_timestamp is not None:
            power_w = connector.power_w
            if connector.energy_wh is not None:
                energy_wh = connector.energy_wh - session.meter_start_wh
    elif session.energy_wh is not None:
        energy_wh = Decimal(session.energy_wh)
    chart = chart_lines_session(session=session)
    return SessionView(session=session, power_w=power_w, energy_wh=energy_wh, chart=chart)


def sessions_of_owner(*, user: AbstractBaseUser | AnonymousUser, past_limit: int = 50) -> dict:
    """/me/: the running sessions (with their live figures) and the last `past_limit` finished ones."""
    owned = transactions_owned(user=user)
    return {
        "running": [session_view(session=s) for s in owned.filter(stopped_at__isnull=True)],
        "past": list(owned.filter(stopped_at__isnull=False)[:past_limit]),
    }
