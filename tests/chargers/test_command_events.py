"""A command that reaches a final status says so once: CommandFinished, published after commit (core/events.py),
one batch per group commit of answers."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chargers.commands.pipeline import (
    command_claim_next,
    command_record_failure,
    commands_claim_next,
    commands_expire,
    commands_reap,
    commands_record_answers,
)
from chargers.commands.services import command_cancel, command_create
from chargers.events import CommandFinished
from chargers.models import Command, CommandStatus
from chargers.ocpp.results import answer_read, request_problem
from chargers.services import charge_point_register
from core import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def charger():
    return charge_point_register(charge_point_id="EVENTS-1")


@pytest.fixture
def heard():
    """The batches of command.finished events delivered while the test runs."""
    batches: list[list[CommandFinished]] = []
    unsubscribe = events.subscribe(lambda batch: batches.append(list(batch)), names=[CommandFinished.name])
    yield batches
    unsubscribe()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A block whose after-commit work runs when it ends, as a real commit would run it (the test's own
    transaction never commits)."""
    return partial(django_capture_on_commit_callbacks, execute=True)


def queue(charger, action: str = "Reset", payload: dict | None = None, **options) -> Command:
    return command_create(
        charge_point=charger,
        action=action,
        payload=payload or {"type": "Soft"},
        check_payload=request_problem,
        **options,
    )


def finished(command: Command, status: str) -> CommandFinished:
    return CommandFinished(
        charge_point_pk=command.charge_point_id,
        charge_point_id="EVENTS-1",
        command_pk=command.pk,
        action=command.action,
        status=status,
    )


def read(command: Command, response: dict):
    return answer_read(action=command.action, request=command.payload, response=response)


def answer(command: Command, response: dict) -> list[str]:
    return commands_record_answers(answers=[(command.pk, read(command, response))])


def test_an_accepted_answer_publishes_command_finished(charger, heard, committed) -> None:
    command = queue(charger)
    command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    with committed():
        assert answer(command, {"status": "Accepted"}) == [CommandStatus.ACCEPTED]
        assert heard == []  # not before the commit
    assert heard == [[finished(command, CommandStatus.ACCEPTED)]]


def test_a_rejected_answer_publishes_command_finished(charger, heard, committed) -> None:
    command = queue(charger)
    command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    with committed():
        answer(command, {"status": "Rejected"})
    assert heard == [[finished(command, CommandStatus.REJECTED)]]


@pytest.mark.parametrize("status", [CommandStatus.FAILED, CommandStatus.TIMED_OUT])
def test_a_call_error_or_a_timeout_publishes_command_finished(charger, heard, committed, status) -> None:
    command = queue(charger)
    command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    with committed():
        command_record_failure(command_pk=command.pk, status=status, description="no")
        command_record_failure(command_pk=command.pk, status=status, description="again")  # ends nothing
    assert heard == [[finished(command, status)]]


def test_a_cancelled_command_publishes_command_finished(charger, heard, committed) -> None:
    command = queue(charger)
    with committed():
        assert command_cancel(command=command)
        assert not command_cancel(command=command)  # a second cancel ends nothing and says nothing
    assert heard == [[finished(command, CommandStatus.CANCELLED)]]


def test_expiry_publishes_one_batch_for_the_commands_it_closed(charger, heard, committed) -> None:
    past = timezone.now() - timedelta(seconds=1)
    first, second = queue(charger, expires_at=past), queue(charger, expires_at=past)
    queue(charger)  # still good
    with committed():
        assert commands_expire() == 2
    assert heard == [[finished(first, CommandStatus.EXPIRED), finished(second, CommandStatus.EXPIRED)]]


def test_a_claim_that_meets_an_expired_command_publishes_its_expiry(charger, heard, committed) -> None:
    stale = queue(charger, expires_at=timezone.now() - timedelta(seconds=1))
    with committed():
        assert commands_claim_next(claims=[(charger.pk, "u")]) == [None]
    assert heard == [[finished(stale, CommandStatus.EXPIRED)]]


def test_a_reaped_command_publishes_command_finished(charger, heard, committed) -> None:
    command = queue(charger)
    Command.objects.filter(pk=command.pk).update(status=CommandStatus.SENT, sent_at=timezone.now() - timedelta(hours=1))
    with committed():
        assert commands_reap() == 1
    assert heard == [[finished(command, CommandStatus.FAILED)]]


def test_a_group_commit_of_answers_publishes_once_for_all_of_them(charger, heard, committed) -> None:
    other = charge_point_register(charge_point_id="EVENTS-2")
    ours, theirs = queue(charger), queue(other)
    commands_claim_next(claims=[(charger.pk, "u1"), (other.pk, "u2")])
    with committed():
        statuses = commands_record_answers(
            answers=[(ours.pk, read(ours, {"status": "Accepted"})), (theirs.pk, read(theirs, {"status": "Rejected"}))]
        )
    assert statuses == [CommandStatus.ACCEPTED, CommandStatus.REJECTED]
    assert heard == [
        [
            finished(ours, CommandStatus.ACCEPTED),
            CommandFinished(
                charge_point_pk=other.pk,
                charge_point_id="EVENTS-2",
                command_pk=theirs.pk,
                action="Reset",
                status=CommandStatus.REJECTED,
            ),
        ]
    ]


def test_an_answer_for_a_command_no_longer_waiting_publishes_nothing(charger, heard, committed) -> None:
    command = queue(charger)
    with committed():
        assert answer(command, {"status": "Accepted"}) == [""]  # never claimed: not waiting for an answer
    assert heard == []
