"""The command pipeline's raw SQL and its ORM twins (chargers/commands/bulk.py) run on the same cases and leave the
same rows: the SQL twin where it runs (PostgreSQL), the ORM twin everywhere (it is what SQLite runs)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chargers.commands import bulk
from chargers.commands.values import ClaimedCommand
from chargers.models import Command, CommandStatus
from chargers.services import charge_point_register

pytestmark = [pytest.mark.django_db, pytest.mark.twins]

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL twin is PostgreSQL's")
CLAIM_TWINS = [
    pytest.param(bulk.commands_claim_orm, id="orm"),
    pytest.param(bulk.commands_claim_sql, id="sql", marks=postgresql_only),
]
ANSWER_TWINS = [
    pytest.param(bulk.commands_answers_save_orm, id="orm"),
    pytest.param(bulk.commands_answers_save_sql, id="sql", marks=postgresql_only),
]


@pytest.fixture
def chargers():
    return [charge_point_register(charge_point_id=f"BULK-{n}") for n in range(3)]


def command(charger, action: str = "Reset", *, ago_s: float = 0, **fields) -> Command:
    return Command.objects.create(
        charge_point=charger,
        action=action,
        payload={"type": "Soft"} if action == "Reset" else {},
        created_at=timezone.now() - timedelta(seconds=ago_s),
        **fields,
    )


def row(pk: int) -> tuple:
    return Command.objects.filter(pk=pk).values_list("status", "unique_id", "attempts", "sent_at").get()


@pytest.mark.parametrize("claim", CLAIM_TWINS)
def test_each_charger_gets_its_oldest_deliverable_command_marked_sent(claim, chargers) -> None:
    first, second, third = chargers
    now = timezone.now()
    oldest = command(first, ago_s=30)
    newer = command(first, "ClearCache", ago_s=10)
    command(second, ago_s=60, status=CommandStatus.SENT, unique_id="busy")  # already out: not claimed again
    later = command(second, ago_s=50, not_before=now + timedelta(minutes=5))  # not due yet
    due = command(second, "ClearCache", ago_s=5, not_before=now - timedelta(seconds=1))

    claimed = claim(unique_ids={first.pk: "u-1", second.pk: "u-2", third.pk: "u-3"}, now=now)

    assert claimed == {
        first.pk: ClaimedCommand(oldest.pk, "Reset", {"type": "Soft"}, "u-1"),
        second.pk: ClaimedCommand(due.pk, "ClearCache", {}, "u-2"),
    }
    assert row(oldest.pk) == (CommandStatus.SENT, "u-1", 1, now)
    assert row(due.pk) == (CommandStatus.SENT, "u-2", 1, now)
    assert row(newer.pk) == (CommandStatus.QUEUED, "", 0, None)
    assert row(later.pk) == (CommandStatus.QUEUED, "", 0, None)


@pytest.mark.parametrize("claim", CLAIM_TWINS)
def test_commands_created_at_the_same_moment_go_out_in_id_order(claim, chargers) -> None:
    moment = timezone.now() - timedelta(seconds=1)
    a = Command.objects.create(charge_point=chargers[0], action="ClearCache", created_at=moment)
    b = Command.objects.create(charge_point=chargers[0], action="ClearCache", created_at=moment)
    now = timezone.now()
    assert claim(unique_ids={chargers[0].pk: "x"}, now=now)[chargers[0].pk].pk == min(a.pk, b.pk)
    assert claim(unique_ids={chargers[0].pk: "y"}, now=now)[chargers[0].pk].pk == max(a.pk, b.pk)
    assert claim(unique_ids={chargers[0].pk: "z"}, now=now) == {}


@pytest.mark.parametrize("claim", CLAIM_TWINS)
def test_a_command_claimed_again_after_it_was_put_back_counts_its_attempts(claim, chargers) -> None:
    again = command(chargers[0], attempts=2)
    claimed = claim(unique_ids={chargers[0].pk: "third"}, now=timezone.now())
    assert claimed[chargers[0].pk].unique_id == "third"
    assert row(again.pk)[:3] == (CommandStatus.SENT, "third", 3)


@pytest.mark.parametrize("save", ANSWER_TWINS)
def test_answers_are_stored_with_their_status_response_problems_and_time(save, chargers) -> None:
    accepted, rejected, untouched = (command(chargers[0], status=CommandStatus.SENT) for _ in range(3))
    accepted.status, accepted.response, accepted.error_description = "accepted", {"status": "Accepted"}, ""
    rejected.status, rejected.error_description = "rejected", "answer does not follow the OCPP schema: x"
    rejected.response = {"status": "Rejected", "extra": {"nested": ["é", 1.5, None]}}
    now = timezone.now()

    save(answered=[accepted, rejected], now=now)

    stored = {
        c["id"]: c for c in Command.objects.values("id", "status", "response", "error_description", "answered_at")
    }
    assert stored[accepted.pk] | {"id": 0} == {
        "id": 0,
        "status": "accepted",
        "response": {"status": "Accepted"},
        "error_description": "",
        "answered_at": now,
    }
    assert stored[rejected.pk]["response"] == {"status": "Rejected", "extra": {"nested": ["é", 1.5, None]}}
    assert (stored[rejected.pk]["status"], stored[rejected.pk]["answered_at"]) == ("rejected", now)
    assert stored[rejected.pk]["error_description"].startswith("answer does not follow")
    assert (stored[untouched.pk]["status"], stored[untouched.pk]["answered_at"]) == ("sent", None)


def test_each_pair_is_chosen_by_the_database_the_portal_runs_on(monkeypatch, chargers) -> None:
    chosen = []
    monkeypatch.setattr(bulk, "commands_claim_sql", lambda **kwargs: chosen.append("sql") or {})
    monkeypatch.setattr(bulk, "commands_claim_orm", lambda **kwargs: chosen.append("orm") or {})
    bulk.commands_claim(unique_ids={chargers[0].pk: "u"}, now=timezone.now())
    assert chosen == ["sql" if connection.vendor == "postgresql" else "orm"]
