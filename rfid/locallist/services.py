"""Keeping each charger's local list equal to the tags that may charge there, through the command pipeline.

One sync of a charger, under a lock on its LocalList row (two syncs of one charger wait for each other):
- a charger new to the portal, or whose last update failed (VersionMismatch, Failed, a timeout), gets a Full
  update; first, once, a GetConfiguration of SendLocalListMaxLength and LocalAuthListMaxLength when it has not
  reported them (its answer brings the sync back);
- otherwise the difference between the tags that belong there now and the entries last sent goes out as a
  Differential (nothing when there is none);
- both are split into chunks of at most SendLocalListMaxLength entries, each a Command with its own listVersion
  (each one higher: a charger refuses a Differential whose version is not above its own), queued in order, so
  an offline charger gets them when it reconnects;
- the list holds at most LocalAuthListMaxLength entries: past that the first ones by id tag, and `problem` says so.
A Full update is not queued for an offline charger (it would expire there): it goes when the charger comes back.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alerts.models import AlertKind
from alerts.services import alert_raise, subject_of_charger
from chargers.commands.dispatch import commands_dispatch_on_commit
from chargers.commands.models import Command, CommandStatus
from chargers.commands.pipeline import command_end
from chargers.commands.services import command_create
from chargers.models import ChargePoint, RegistrationStatus
from rfid.locallist import selectors
from rfid.locallist.models import LocalList, LocalListEntry
from rfid.locallist.schedule import local_list_sync_soon
from rfid.locallist.selectors import ACTION, LIMIT_KEYS, Entry, Limits

__all__ = [
    "LOCAL_LIST_MAX_FAILURES",
    "SyncResult",
    "local_list_commands_finished",
    "local_list_resync",
    "local_list_sync",
    "local_lists_events_seen",
    "local_lists_sync_all",
]

PayloadCheck = Callable[[str, dict], str | None]

# Full updates failing in a row before the sync stops trying and waits for an operator's resync.
LOCAL_LIST_MAX_FAILURES = 3
# A charger's answers to SendLocalList that mean "send the whole list again".
_RESEND_FULL = ("VersionMismatch", "Failed")


@dataclass(frozen=True)
class SyncResult:
    kind: str  # full, differential, none, configuration, waiting, stopped, unsupported
    commands: int = 0
    entries: int = 0


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_payload(entry: Entry) -> dict:
    info: dict = {"status": "Accepted"}
    if entry.expires_at is not None:
        info["expiryDate"] = _format(entry.expires_at)
    if entry.parent_id_tag:
        info["parentIdTag"] = entry.parent_id_tag
    return {"idTag": entry.id_tag, "idTagInfo": info}


def _chunks(items: list[dict], size: int) -> list[list[dict]]:
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def _queue(
    *,
    local_list: LocalList,
    charge_point: ChargePoint,
    items: list[dict],
    full: bool,
    limits: Limits,
    check: PayloadCheck,
) -> int:
    """One SendLocalList command per chunk, versions counting up from the list's; returns how many."""
    ids = []
    for index, chunk in enumerate(_chunks(items, limits.chunk)):
        local_list.version += 1
        command = command_create(
            charge_point=charge_point,
            action=ACTION,
            payload={
                "listVersion": local_list.version,
                "updateType": "Full" if full and index == 0 else "Differential",
                "localAuthorizationList": chunk,
            },
            check_payload=check,
            requested_via="system",
            dispatch=False,
        )
        ids.append(command.pk)
    # One poke for the whole series: the session delivers them one CALL at a time, oldest first.
    commands_dispatch_on_commit(command_ids=ids, not_before=None, poke_here=True)
    return len(ids)


def _store_full(local_list: LocalList, desired: list[Entry]) -> None:
    LocalListEntry.objects.filter(local_list=local_list).delete()
    LocalListEntry.objects.bulk_create(
        (LocalListEntry(local_list=local_list, **entry.__dict__) for entry in desired), batch_size=5000
    )


def _store_difference(local_list: LocalList, changed: list[Entry], removed: list[str]) -> None:
    gone = [entry.id_tag for entry in changed] + removed
    for start in range(0, len(gone), 500):  # SQLite limits the parameters of one statement
        LocalListEntry.objects.filter(local_list=local_list, id_tag__in=gone[start : start + 500]).delete()
    LocalListEntry.objects.bulk_create(
        (LocalListEntry(local_list=local_list, **entry.__dict__) for entry in changed), batch_size=5000
    )


def _cancel_open(charge_point_pk: int) -> None:
    """Chunks still queued are void once a Full update is due (they would only be refused or mislead)."""
    command_end(
        commands=selectors.local_list_open_commands(charge_point_pk=charge_point_pk).filter(
            status=CommandStatus.QUEUED
        ),
        status=CommandStatus.CANCELLED,
        answered_at=timezone.now(),
    )


def _locked(charge_point: ChargePoint) -> LocalList:
    LocalList.objects.get_or_create(charge_point=charge_point)
    return LocalList.objects.select_for_update().get(charge_point=charge_point)


def _ask_limits(local_list: LocalList, charge_point: ChargePoint, check: PayloadCheck) -> SyncResult:
    command_create(
        charge_point=charge_point,
        action="GetConfiguration",
        payload={"key": list(LIMIT_KEYS)},
        check_payload=check,
        requested_via="system",
    )
    local_list.configuration_asked = True
    local_list.save(update_fields=["configuration_asked"])
    return SyncResult(kind="configuration", commands=1)


def _problem_set(local_list: LocalList, problem: str, charge_point_id: str, *, alert: bool) -> None:
    """Keep what the operator should know on the list; with `alert`, tell it as an alert too (after commit)."""
    if problem and alert:
        # One open alert per charger (alerts' unique index): the page, the mail and `alert.raised` webhooks.
        alert_raise(
            kind=AlertKind.LOCAL_LIST,
            subject=subject_of_charger(local_list.charge_point_id),
            message=problem,
            charge_point_pk=local_list.charge_point_id,
            charge_point_ident=charge_point_id,
        )
    local_list.problem = problem[:300]


def _too_long(wanted: int, limits: Limits) -> str:
    if limits.total is None or wanted <= limits.total:
        return ""
    return (
        f"{wanted} tags may charge here but the charger holds at most {limits.total} "
        f"(LocalAuthListMaxLength): its list has the first {limits.total} by id tag"
    )


def local_list_sync(
    *, charge_point: ChargePoint, check_payload: PayloadCheck, only_if_changed: bool = False
) -> SyncResult:
    """Bring one charger's local list up to date (see the module's docstring). `only_if_changed` (beat's safety
    tick): skip the comparison when no tag changed or expired since the last sync."""
    if not selectors.local_list_supported(charge_point=charge_point):
        return SyncResult(kind="unsupported")
    state = ChargePoint.objects.filter(pk=charge_point.pk).values("is_online", "registration_status").first()
    if state is None or state["registration_status"] != RegistrationStatus.ACCEPTED:
        return SyncResult(kind="waiting")  # a Pending charger gets its list once an operator accepts it
    # What the sync reads is as of now: a change committed later is newer than `synced_at`.
    started = timezone.now()
    with transaction.atomic():
        local_list = _locked(charge_point)
        not_now = _not_now(local_list, charge_point, state["is_online"], check_payload)
        if not_now is not None:
            return not_now
        if (
            only_if_changed
            and not local_list.needs_full
            and not selectors.tags_changed_since(since=local_list.synced_at, now=started)
        ):
            return SyncResult(kind="none")
        result = _sync_entries(local_list, charge_point, check_payload)
        local_list.synced_at = started
        local_list.save()
    return result


def _not_now(local_list: LocalList, charge_point: ChargePoint, online: bool, check: PayloadCheck) -> SyncResult | None:
    """Why the list is not compared now (stopped after failures, a Full update for an offline charger, its
    limits being asked), or None."""
    if local_list.failures >= LOCAL_LIST_MAX_FAILURES:
        return SyncResult(kind="stopped")
    if not local_list.needs_full:
        return None
    if not online:
        return SyncResult(kind="waiting")
    if selectors.local_list_limits_reported(charge_point=charge_point) or not selectors.local_list_limits_askable(
        charge_point=charge_point
    ):
        return None
    if not local_list.configuration_asked:
        return _ask_limits(local_list, charge_point, check)
    if selectors.local_list_limits_asking(charge_point_pk=charge_point.pk):
        return SyncResult(kind="configuration")  # its answer brings the sync back
    return None


def _sync_entries(local_list: LocalList, charge_point: ChargePoint, check: PayloadCheck) -> SyncResult:
    limits = selectors.local_list_limits(charge_point=charge_point)
    desired, wanted = selectors.local_list_desired(charge_point=charge_point, now=timezone.now(), limit=limits.total)
    # An alert when the list stops fitting, not again at each sync while it does not (its count may change).
    problem = _too_long(wanted, limits)
    _problem_set(local_list, problem, charge_point.charge_point_id, alert=not local_list.problem)
    queue = {"local_list": local_list, "charge_point": charge_point, "limits": limits, "check": check}
    if local_list.needs_full:
        _cancel_open(charge_point.pk)
        _store_full(local_list, desired)
        commands = _queue(items=[_entry_payload(e) for e in desired], full=True, **queue)
        local_list.needs_full = False
        local_list.entries_count = len(desired)
        return SyncResult(kind="full", commands=commands, entries=len(desired))
    current = selectors.local_list_entries(local_list=local_list)
    changed = [entry for entry in desired if current.get(entry.id_tag) != entry]
    wanted_ids = {entry.id_tag for entry in desired}
    removed = [id_tag for id_tag in current if id_tag not in wanted_ids]
    if not changed and not removed:
        return SyncResult(kind="none")
    _store_difference(local_list, changed, removed)
    items = [_entry_payload(e) for e in changed] + [{"idTag": id_tag} for id_tag in removed]
    commands = _queue(items=items, full=False, **queue)
    local_list.entries_count = len(desired)
    return SyncResult(kind="differential", commands=commands, entries=len(items))


def local_lists_sync_all(*, check_payload: PayloadCheck, only_if_changed: bool = False) -> dict[str, int]:
    """Sync every charger that takes a list; returns how many syncs ended each way."""
    counts: dict[str, int] = {}
    for charge_point in selectors.local_list_charge_points():
        result = local_list_sync(
            charge_point=charge_point, check_payload=check_payload, only_if_changed=only_if_changed
        )
        counts[result.kind] = counts.get(result.kind, 0) + 1
    return counts


def local_list_resync(*, charge_point: ChargePoint) -> None:
    """An operator's "send the whole list again": a Full update, failures forgotten."""
    with transaction.atomic():
        local_list = _locked(charge_point)
        local_list.needs_full = True
        local_list.failures = 0
        local_list.problem = ""
        local_list.save(update_fields=["needs_full", "failures", "problem"])
        local_list_sync_soon(charge_point_pk=charge_point.pk, countdown=0)


# --- Answers --------------------------------------------------------------------------------------------------


def local_list_commands_finished(*, command_pks: Sequence[int]) -> None:
    """Read what the charger answered to our SendLocalList chunks (and to the GetConfiguration of its limits)."""
    commands = (
        Command.objects.filter(pk__in=command_pks, action__in=(ACTION, "GetConfiguration"))
        .select_related("charge_point")
        .order_by("pk")
        .only("pk", "action", "status", "payload", "response", "error_description", "charge_point__charge_point_id")
    )
    for command in commands:
        if command.action == ACTION:
            _sent_list_finished(command)
        elif LocalList.objects.filter(
            charge_point_id=command.charge_point_id, needs_full=True, configuration_asked=True
        ).exists():
            # The limits are known now (or will never be): the Full update may go.
            local_list_sync_soon(charge_point_pk=command.charge_point_id, countdown=0)


def _sent_list_finished(command: Command) -> None:
    answer = (command.response or {}).get("status", "") if isinstance(command.response, dict) else ""
    with transaction.atomic():
        local_list = LocalList.objects.select_for_update().filter(charge_point_id=command.charge_point_id).first()
        if local_list is None or command.status == CommandStatus.CANCELLED:
            return
        version = command.payload.get("listVersion")
        if command.status == CommandStatus.ACCEPTED:
            _confirmed(local_list, version, full=command.payload.get("updateType") == "Full")
            return
        _refused(local_list, command, answer or command.error_description or command.status)


def _confirmed(local_list: LocalList, version: object, *, full: bool) -> None:
    if isinstance(version, int) and version > (local_list.confirmed_version or 0):
        local_list.confirmed_version = version
    local_list.confirmed_at = timezone.now()
    if full:
        local_list.failures = 0
    local_list.save(update_fields=["confirmed_version", "confirmed_at", "failures"])


def _refused(local_list: LocalList, command: Command, why: str) -> None:
    version = command.payload.get("listVersion")
    if why == "NotSupported":
        local_list.failures = LOCAL_LIST_MAX_FAILURES
        problem = "The charger answered NotSupported to SendLocalList: no list is sent to it."
    elif command.status == CommandStatus.EXPIRED:
        # The charger stayed away past the command's expiry: not its fault, no failure counted.
        problem = f"Version {version} expired before the charger came back: a Full update follows."
    else:
        local_list.failures += 1
        problem = (
            f"Version {version} was not applied ({why}): a Full update follows"
            if local_list.failures < LOCAL_LIST_MAX_FAILURES
            else f"Version {version} was not applied ({why}), {local_list.failures} times in a row: "
            "the sync stopped; resync once the cause is fixed."
        )
    _problem_set(local_list, problem, command.charge_point.charge_point_id, alert=True)
    local_list.needs_full = True
    local_list.save(update_fields=["failures", "problem", "needs_full"])
    _cancel_open(local_list.charge_point_id)
    if local_list.failures < LOCAL_LIST_MAX_FAILURES:
        local_list_sync_soon(charge_point_pk=local_list.charge_point_id)


def local_lists_events_seen(*, command_pks: Iterable[int], online_charge_point_pks: Iterable[int]) -> None:
    """What the event stream told the local lists: answers to read, chargers that came back to sync."""
    pks = list(command_pks)
    if pks:
        local_list_commands_finished(command_pks=pks)
    online = list(online_charge_point_pks)
    if not online:
        return
    # One query for the batch (every connect comes through here, on the daphne's one database thread): each
    # charger, whether it holds a list already, and its model to tell whether it takes one.
    chargers = (
        ChargePoint.objects.filter(pk__in=online)
        .select_related("charger_model")
        .annotate(has_list=Exists(LocalList.objects.filter(charge_point_id=OuterRef("pk"))))
    )
    for charge_point in chargers:
        if charge_point.has_list or selectors.local_list_supported(charge_point=charge_point):
            local_list_sync_soon(charge_point_pk=charge_point.pk, countdown=2.0)
