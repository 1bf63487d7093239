"""Reads for local lists: which chargers take one, the tags that belong on a charger's list, the charger's limits,
and the status the API and the charger page show."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from chargers.commands.models import OPEN_COMMAND_STATUSES, Command, ConfigurationKey
from chargers.models import ChargePoint, RegistrationStatus
from chargers.profiles.selectors import charge_point_supports_action
from rfid.locallist.models import LocalList, LocalListEntry
from rfid.models import IdTag, IdTagChange, IdTagStatus
from rfid.selectors import id_tag_allowed_at_charger, site_with_parents

ACTION = "SendLocalList"
SEND_MAX_KEY = "SendLocalListMaxLength"
TOTAL_MAX_KEY = "LocalAuthListMaxLength"
# Read from the charger before its first Full update (one GetConfiguration), when it has not reported them yet.
LIMIT_KEYS = (SEND_MAX_KEY, TOTAL_MAX_KEY)


@dataclass(frozen=True)
class Entry:
    """One tag as it belongs on a list: what a SendLocalList entry's idTagInfo says."""

    id_tag: str
    expires_at: datetime | None
    parent_id_tag: str


@dataclass(frozen=True)
class Limits:
    chunk: int  # entries per SendLocalList (SendLocalListMaxLength)
    total: int | None  # entries on the charger at most (LocalAuthListMaxLength); None: not known
    known: bool  # whether the charger reported SendLocalListMaxLength


def local_list_supported(*, charge_point: ChargePoint) -> bool:
    """A charger whose model profile says it takes SendLocalList (without a profile the portal does not push a
    list nobody asked for)."""
    if charge_point.charger_model_id is None:
        return False
    supported, _reason = charge_point_supports_action(charge_point=charge_point, action=ACTION)
    return supported


def local_list_charge_points() -> Iterator[ChargePoint]:
    """The accepted chargers that take a local list."""
    chargers = ChargePoint.objects.select_related("charger_model").filter(
        registration_status=RegistrationStatus.ACCEPTED, charger_model__isnull=False
    )
    return (cp for cp in chargers.order_by("pk") if local_list_supported(charge_point=cp))


def _positive(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def local_list_limits(*, charge_point: ChargePoint) -> Limits:
    """The charger's own figures (its configuration keys), else its model profile's capacity and the portal's
    default chunk (RFID_LOCAL_LIST_CHUNK)."""
    keys = dict(
        ConfigurationKey.objects.filter(charge_point=charge_point, key__in=LIMIT_KEYS).values_list("key", "value")
    )
    chunk = _positive(keys.get(SEND_MAX_KEY))
    total = _positive(keys.get(TOTAL_MAX_KEY))
    profile = charge_point.charger_model
    if total is None and profile is not None:
        total = profile.local_list_capacity
    return Limits(chunk=chunk or settings.RFID_LOCAL_LIST_CHUNK, total=total, known=chunk is not None)


def local_list_limits_reported(*, charge_point: ChargePoint) -> bool:
    return ConfigurationKey.objects.filter(charge_point=charge_point, key__in=LIMIT_KEYS).exists()


def _usable(prefix: str, now: datetime) -> Q:
    return Q(**{f"{prefix}status": IdTagStatus.ACCEPTED}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})
    )


def local_list_tags(*, charge_point: ChargePoint, now: datetime) -> QuerySet[IdTag]:
    """The tags that may charge at this charger now: accepted and unexpired (and so is their group), allowed
    everywhere or here (this charger, or its site or a site it lies in)."""
    site_ids = site_with_parents(site_id=charge_point.site_id)
    here = id_tag_allowed_at_charger(charge_point_pk=charge_point.pk, site_ids=site_ids)
    return (
        IdTag.objects.filter(_usable("", now))
        .filter(Q(parent__isnull=True) | _usable("parent__", now))
        .filter(here)
        .order_by("id_tag")
    )


def local_list_desired(*, charge_point: ChargePoint, now: datetime, limit: int | None) -> tuple[list[Entry], int]:
    """The entries that belong on the charger's list (at most `limit`, by id tag) and how many tags would."""
    tags = local_list_tags(charge_point=charge_point, now=now)
    rows = tags.values_list("id_tag", "expires_at", "parent__id_tag", "parent__expires_at")
    entries = [
        Entry(id_tag=tag, expires_at=_sooner(expires, parent_expires), parent_id_tag=parent or "")
        for tag, expires, parent, parent_expires in rows.iterator(chunk_size=5000)
    ]
    if limit is not None and len(entries) > limit:
        return entries[:limit], len(entries)
    return entries, len(entries)


def _sooner(first: datetime | None, second: datetime | None) -> datetime | None:
    moments = [m for m in (first, second) if m is not None]
    return min(moments) if moments else None


def tags_changed_since(*, since: datetime | None, now: datetime) -> bool:
    """Whether any tag was saved, deleted (its history says so) or reached its expiry after `since`. Changes to
    where a tag may charge (sites, chargers) save no tag: their signal asks for a sync of its own."""
    if since is None:
        return True
    saved_or_expired = Q(updated_at__gt=since) | Q(expires_at__gt=since, expires_at__lte=now)
    return IdTag.objects.filter(saved_or_expired).exists() or IdTagChange.objects.filter(at__gt=since).exists()


def local_list_entries(*, local_list: LocalList) -> dict[str, Entry]:
    rows = LocalListEntry.objects.filter(local_list=local_list).values_list("id_tag", "expires_at", "parent_id_tag")
    return {tag: Entry(tag, expires, parent) for tag, expires, parent in rows.iterator(chunk_size=5000)}


def local_list_limits_askable(*, charge_point: ChargePoint) -> bool:
    """Whether the charger's profile lets the portal ask its limits (GetConfiguration); if not, the defaults."""
    supported, _reason = charge_point_supports_action(charge_point=charge_point, action="GetConfiguration")
    return supported


def local_list_limits_asking(*, charge_point_pk: int) -> bool:
    """Whether the GetConfiguration of the limits still waits for the charger's answer."""
    return Command.objects.filter(
        charge_point_id=charge_point_pk, action="GetConfiguration", status__in=OPEN_COMMAND_STATUSES
    ).exists()


def local_list_open_commands(*, charge_point_pk: int) -> QuerySet[Command]:
    return Command.objects.filter(charge_point_id=charge_point_pk, action=ACTION, status__in=OPEN_COMMAND_STATUSES)


@dataclass(frozen=True)
class LocalListStatus:
    """What the API and the charger page show."""

    charge_point_id: str
    supported: bool
    version: int | None
    confirmed_version: int | None
    confirmed_at: datetime | None
    entries: int
    pending_commands: int
    pending_entries: int
    pending_full: bool
    problem: str


def local_list_status(*, charge_point: ChargePoint) -> LocalListStatus:
    local_list = LocalList.objects.filter(charge_point=charge_point).first()
    pending = list(local_list_open_commands(charge_point_pk=charge_point.pk).values_list("payload", flat=True))
    supported = local_list_supported(charge_point=charge_point)
    # A charger that takes a list and has none yet is due a Full update (sent once it is online).
    full_due = local_list.needs_full if local_list else supported
    return LocalListStatus(
        charge_point_id=charge_point.charge_point_id,
        supported=supported,
        version=(local_list.version or None) if local_list else None,
        confirmed_version=local_list.confirmed_version if local_list else None,
        confirmed_at=local_list.confirmed_at if local_list else None,
        entries=local_list.entries_count if local_list else 0,
        pending_commands=len(pending),
        pending_entries=sum(len(p.get("localAuthorizationList") or []) for p in pending),
        pending_full=full_due or any(p.get("updateType") == "Full" for p in pending),
        problem=local_list.problem if local_list else "",
    )
