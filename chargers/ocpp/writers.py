"""The process's group-commit writers (one set per event loop)."""

import weakref
from asyncio import AbstractEventLoop, get_running_loop
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from chargers.commands.pipeline import Answer, commands_claim_next, commands_record_answers
from chargers.ocpp.batching import GroupCommit
from chargers.services import (
    Departure,
    LogEntry,
    charge_points_disconnected,
    charge_points_mark_seen,
    message_log_write,
)
from chargers.services.connectors import connectors_record_readings
from chargers.services.message_log import log_entry_describe
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


def _store_disconnects(sessions: list[Departure]) -> None:
    charge_points_disconnected(sessions=sessions)


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
    command_claims: GroupCommit
    command_answers: GroupCommit


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
            command_claims=GroupCommit(_claim_commands, name="command claims", max_batch=2000),
            command_answers=GroupCommit(_store_answers, name="command answers", max_batch=2000),
        )
        _per_loop[loop] = found
    return found
