"""A Celery worker that starts pokes for the queued commands of online chargers at once, whatever their age: the
dispatch message of a worker killed before it could poke is gone, and beat's housekeeping is a minute away."""

import logging

import pytest

from chargers.commands import tasks
from chargers.commands.services import command_create
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def poked(monkeypatch) -> list[list[int]]:
    calls: list[list[int]] = []
    monkeypatch.setattr(tasks, "commands_poke", lambda *, command_ids: calls.append(sorted(command_ids)) or 1)
    return calls


def queued(charge_point_id: str, *, online: bool) -> int:
    charger = charge_point_register(charge_point_id=charge_point_id)
    ChargePoint.objects.filter(pk=charger.pk).update(is_online=online)
    return command_create(
        charge_point=charger, action="ClearCache", payload={}, check_payload=request_problem, dispatch=False
    ).pk


def test_a_worker_that_starts_pokes_for_the_commands_of_online_chargers_queued_a_moment_ago(poked) -> None:
    online = queued("START-ONLINE", online=True)
    queued("START-OFFLINE", online=False)  # delivered when its charger reconnects

    tasks.commands_poke_on_worker_start()

    assert poked == [[online]]


def test_a_worker_that_starts_with_nothing_queued_pokes_for_nothing(poked) -> None:
    tasks.commands_poke_on_worker_start()

    assert poked == []


def test_a_worker_starts_even_when_the_poke_fails(monkeypatch, caplog) -> None:
    queued("START-BROKEN", online=True)

    def broken(*, command_ids: list[int]) -> int:
        raise ConnectionError("the layer is away")

    monkeypatch.setattr(tasks, "commands_poke", broken)
    with caplog.at_level(logging.WARNING, logger=tasks.__name__):
        tasks.commands_poke_on_worker_start()

    assert "could not poke" in caplog.text
