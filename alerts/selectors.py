"""Reads of alerts and subscriptions, and the facts the alert rules look at (who is offline since when, which
sessions have gone quiet)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from alerts.models import Alert, AlertKind, Subscription
from chargers.models import ChargePoint, ConfigurationKey, RegistrationStatus
from transactions.models import MeterValue, Site, Transaction

SAMPLE_INTERVAL_KEY = "MeterValueSampleInterval"


@dataclass(frozen=True)
class AlertPage:
    open_alerts: list[Alert]
    open_count: int  # all of them, when there are more than the page shows
    cleared_alerts: list[Alert]


def alert_list() -> QuerySet[Alert]:
    """Every alert with what the API shows of it, newest first."""
    return Alert.objects.select_related("charge_point", "acknowledged_by").order_by("-raised_at", "-id")


def alert_page(*, open_limit: int = 500, cleared_limit: int = 100) -> AlertPage:
    """The alerts page: the open alerts, newest first (at most `open_limit`: a fleet without sites that drops
    whole must not make a page of ten thousand rows), then the newest cleared ones."""
    related = Alert.objects.select_related("charge_point", "site", "acknowledged_by")
    open_alerts = list(related.filter(cleared_at=None)[:open_limit])
    count = len(open_alerts) if len(open_alerts) < open_limit else Alert.objects.filter(cleared_at=None).count()
    cleared = list(related.filter(cleared_at__isnull=False)[:cleared_limit])
    return AlertPage(open_alerts=open_alerts, open_count=count, cleared_alerts=cleared)


def subscription_of(*, user) -> Subscription | None:
    return Subscription.objects.filter(user=user).prefetch_related("sites").first()


def alert_recipients(*, alert: Alert) -> list[str]:
    """The addresses of the operators who want this alert by e-mail (its kind, its site), once each."""
    site_pk = alert.site_id or (alert.charge_point.site_id if alert.charge_point_id else None)
    wanting = (
        Subscription.objects.filter(email=True, user__is_active=True, user__is_staff=True)
        .exclude(user__email="")
        .select_related("user")
        .prefetch_related("sites")
    )
    addresses: list[str] = []
    for subscription in wanting:
        sites = {site.pk for site in subscription.sites.all()}
        if alert.kind not in subscription.kinds or (sites and site_pk not in sites):
            continue
        # The permission too: a subscription outlives a role (an operator whose rights were taken away).
        if subscription.user.has_perm("alerts.view_alert") and subscription.user.email not in addresses:
            addresses.append(subscription.user.email)
    return addresses


def anyone_wants_mail() -> bool:
    return Subscription.objects.filter(email=True).exists()


# --- What the rules look at -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charger:
    pk: int
    ident: str
    site_pk: int | None
    is_online: bool
    disconnected_at: datetime | None


_CHARGER_FIELDS = ("pk", "charge_point_id", "site_id", "is_online", "disconnected_at")


def _chargers(queryset: QuerySet[ChargePoint]) -> list[Charger]:
    return [Charger(*row) for row in queryset.values_list(*_CHARGER_FIELDS)]


def chargers_watched(*, pks: list[int]) -> list[Charger]:
    """These chargers, those an operator accepted (a pending or refused one coming and going is no alert)."""
    return _chargers(ChargePoint.objects.filter(pk__in=pks, registration_status=RegistrationStatus.ACCEPTED))


def sites_without_online_chargers(*, site_pks: set[int]) -> set[int]:
    """Those of these sites none of whose accepted chargers is online (one query, whatever the fleet's size)."""
    online = ChargePoint.objects.filter(
        site=OuterRef("pk"), is_online=True, registration_status=RegistrationStatus.ACCEPTED
    )
    return set(Site.objects.filter(pk__in=site_pks).exclude(Exists(online)).values_list("pk", flat=True))


def site_chargers(*, site_pks: set[int]) -> dict[int, list[Charger]]:
    found: dict[int, list[Charger]] = {pk: [] for pk in site_pks}
    accepted = ChargePoint.objects.filter(site_id__in=site_pks, registration_status=RegistrationStatus.ACCEPTED)
    for charger in _chargers(accepted):
        found[charger.site_pk].append(charger)
    return found


def site_names(*, site_pks: set[int]) -> dict[int, str]:
    return dict(Site.objects.filter(pk__in=site_pks).values_list("pk", "name"))


def _open(kind: str, **match: OuterRef) -> Exists:
    return Exists(Alert.objects.filter(kind=kind, cleared_at=None, **match))


def chargers_offline_unalerted(*, dropped_before: datetime, dropped_after: datetime) -> list[Charger]:
    """Accepted chargers offline since a moment between the two, with no open alert covering them (their own, or
    their site's)."""
    found = (
        ChargePoint.objects.filter(
            is_online=False,
            registration_status=RegistrationStatus.ACCEPTED,
            disconnected_at__lte=dropped_before,
            disconnected_at__gte=dropped_after,
        )
        .exclude(_open(AlertKind.CHARGER_OFFLINE, charge_point=OuterRef("pk")))
        .exclude(Q(site__isnull=False) & _open(AlertKind.SITE_OFFLINE, site=OuterRef("site")))
    )
    return _chargers(found)


@dataclass(frozen=True)
class RunningSession:
    pk: int
    charge_point_pk: int
    charge_point_ident: str
    connector_id: int
    last_heard_at: datetime  # the newest meter value received, or the start


def sessions_unalerted_running() -> list[RunningSession]:
    """Sessions running on online chargers without an open silent alert, with when they were last heard of."""
    # When the newest reading (by the charger's timestamp: the index on transaction and timestamp finds it without
    # reading a long session's thousands of values) was received; the server's clock, not the charger's, decides.
    newest_reading = (
        MeterValue.objects.filter(transaction=OuterRef("pk")).order_by("-timestamp").values("received_at")[:1]
    )
    running = (
        Transaction.objects.filter(stopped_at=None, charge_point__is_online=True)
        .exclude(_open(AlertKind.SESSION_SILENT, transaction=OuterRef("pk")))
        .annotate(last_reading_at=Subquery(newest_reading))
        .values_list(
            "pk",
            "charge_point_id",
            "charge_point__charge_point_id",
            "connector_id",
            "start_received_at",
            "last_reading_at",
        )
    )
    return [
        RunningSession(pk, cp_pk, ident, connector, max(filter(None, (started, last_reading))))
        for pk, cp_pk, ident, connector, started, last_reading in running
    ]


def sample_intervals_s(*, charge_point_pks: set[int]) -> dict[int, int]:
    """Each charger's MeterValueSampleInterval (seconds) as it last reported or accepted it; the default
    (ALERTS_METER_INTERVAL_DEFAULT_S) for those that never said or said something unreadable."""
    intervals = dict.fromkeys(charge_point_pks, settings.ALERTS_METER_INTERVAL_DEFAULT_S)
    reported = ConfigurationKey.objects.filter(charge_point_id__in=charge_point_pks, key=SAMPLE_INTERVAL_KEY)
    for pk, value in reported.values_list("charge_point_id", "value"):
        try:
            intervals[pk] = int(str(value).strip())
        except ValueError:
            continue
    return intervals


def sessions_silent_pks() -> frozenset[int]:
    """The sessions with an open silent alert."""
    open_silent = Alert.objects.filter(kind=AlertKind.SESSION_SILENT, cleared_at=None, transaction__isnull=False)
    return frozenset(open_silent.values_list("transaction_id", flat=True))


def silent_alerts_heard_again() -> QuerySet[Alert]:
    """Open silent alerts whose session has stopped, is gone, or has sent a meter value since."""
    newer_reading = MeterValue.objects.filter(
        transaction=OuterRef("transaction"), received_at__gt=OuterRef("raised_at")
    )
    return Alert.objects.filter(kind=AlertKind.SESSION_SILENT, cleared_at=None).filter(
        Q(transaction=None) | Q(transaction__stopped_at__isnull=False) | Exists(newer_reading)
    )


def lookback(*, now: datetime) -> datetime:
    return now - timedelta(seconds=settings.ALERTS_OFFLINE_LOOKBACK_S)
