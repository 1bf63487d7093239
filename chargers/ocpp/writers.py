"""The process's group-commit writers (one set per event loop)."""

import weakref
from asyncio import AbstractEventLoop, get_running_loop
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from chargers.commands.pipeline import Answer, commands_claim_next, commands_record_answers
from chargers.ocpp.batching import GroupCommit
from chargers.ocpp.transactional import starts_store, stops_store
from chargers.profiles.selectors import ProfileTraits, profiles_traits
from chargers.services import (
    Arrival,
    ConnectDecision,
    Connected,
    Departure,
    HandshakeAttempt,
    LogEntry,
    RefusedAttempt,
    charge_points_authenticate,
    charge_points_connected,
    charge_points_disconnected,
    charge_points_mark_seen,
    connection_attempts_log,
    message_log_write,
)
from chargers.services.boots import BootReport, charge_points_boot
from chargers.services.connectors import connectors_record_readings
from chargers.services.message_log import log_entry_describe
from chargers.services.status import ConnectorStatusReport, connectors_status_update
from transactions.load.services import MeteredLoad, building_readings_from_meters
from transactions.services import MeterValuesReport, meter_values_store


def _store_meter_values(reports: list[MeterValuesReport]) -> None:
    # The rows and the connectors' newest readings in one transaction: a page never shows a reading not stored.
    with transaction.atomic():
        connectors_record_readings(readings=meter_values_store(reports=reports))


def _store_site_loads(loads: list[MeteredLoad]) -> None:
    with transaction.atomic():
        building_readings_from_meters(loads=loads)


def _store_log(entries: list[LogEntry]) -> None:
    message_log_write(entries=entries)


def _store_seen(items: list[tuple[int, datetime]]) -> None:
    newest: dict[int, datetime] = {}
    for pk, seen_at in items:
        newest[pk] = max(seen_at, newest.get(pk, seen_at))
    # One UPDATE for all: they share the newest moment closely enough (resolution is tens of seconds).
    charge_points_mark_seen(charge_point_pks=list(newest), seen_at=max(newest.values()))


def _authenticate(attempts: list[HandshakeAttempt]) -> list[ConnectDecision]:
    return charge_points_authenticate(attempts=attempts)


def _store_refusals(attempts: list[RefusedAttempt]) -> None:
    connection_attempts_log(attempts=attempts)


def _store_connects(sessions: list[Arrival]) -> list[Connected]:
    return charge_points_connected(sessions=sessions)


def _store_disconnects(sessions: list[Departure]) -> None:
    charge_points_disconnected(sessions=sessions)


def _store_statuses(reports: list[ConnectorStatusReport]) -> None:
    connectors_status_update(items=reports)


def _store_boots(reports: list[BootReport]) -> list[tuple[str, int]]:
    return charge_points_boot(items=reports)


def _read_traits(charge_point_pks: list[int]) -> list[ProfileTraits]:
    return profiles_traits(charge_point_pks=charge_point_pks)


def _claim_commands(claims: list[tuple[int, str]]) -> list:
    return commands_claim_next(claims=claims)


def _store_answers(answers: list[tuple[int, Answer]]) -> list[str]:
    return commands_record_answers(answers=answers)  # read sanitised by the delivery (chargers/ocpp/delivery.py)


@dataclass
class Writers:
    meter_values: GroupCommit
    site_loads: GroupCommit
    message_log: GroupCommit
    last_seen: GroupCommit
    disconnects: GroupCommit
    # The handshake: the charger lookup, the refused attempts' log, the takeover (issue 15: a reconnect storm).
    handshakes: GroupCommit
    refusals: GroupCommit
    connects: GroupCommit
    command_claims: GroupCommit
    command_answers: GroupCommit
    # The transactional messages (chargers/ocpp/transactional.py): each answered once its batch is committed.
    starts: GroupCommit
    stops: GroupCommit
    statuses: GroupCommit
    boots: GroupCommit
    # Not a write: the sessions that need their charger's profile traits at one moment share two queries.
    traits: GroupCommit


_per_loop: "weakref.WeakKeyDictionary[AbstractEventLoop, Writers]" = weakref.WeakKeyDictionary()


def writers() -> Writers:
    loop = get_running_loop()
    found = _per_loop.get(loop)
    if found is None:
        found = Writers(
            meter_values=GroupCommit(_store_meter_values, name="meter values", max_batch=500),
            site_loads=GroupCommit(_store_site_loads, name="site loads", max_batch=500),
            message_log=GroupCommit(_store_log, name="message log", max_batch=2000, describe=log_entry_describe),
            last_seen=GroupCommit(_store_seen, name="last seen", max_batch=5000),
            disconnects=GroupCommit(_store_disconnects, name="disconnects", max_batch=5000),
            handshakes=GroupCommit(_authenticate, name="handshakes", max_batch=1000),
            refusals=GroupCommit(_store_refusals, name="refused connections", max_batch=1000),
            connects=GroupCommit(_store_connects, name="connects", max_batch=1000),
            command_claims=GroupCommit(_claim_commands, name="command claims", max_batch=2000),
            command_answers=GroupCommit(_store_answers, name="command answers", max_batch=2000),
            starts=GroupCommit(starts_store, name="transaction starts", max_batch=500),
            stops=GroupCommit(stops_store, name="transaction stops", max_batch=500),
            statuses=GroupCommit(_store_statuses, name="connector statuses", max_batch=1000),
            boots=GroupCommit(_store_boots, name="boots", max_batch=500),
            traits=GroupCommit(_read_traits, name="profile traits", max_batch=2000),
        )
        _per_loop[loop] = found
    return found
