"""Raw SQL of the command pipeline, where the bulk-command benchmark asked for it (benchmarks/commands_load.py: a
thousand claims and a thousand answers at once): one function per statement (`..._sql`, PostgreSQL) beside its
ORM twin (`..._orm`), which states the same rule for any database and is what SQLite runs. Each pair is chosen by
the function without a suffix; tests/chargers/test_commands_bulk.py runs both twins on the same cases.
"""

import json
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet

from chargers.commands.models import Command, CommandStatus
from chargers.commands.values import ClaimedCommand

__all__ = [
    "commands_answers_save",
    "commands_answers_save_orm",
    "commands_answers_save_sql",
    "commands_claim",
    "commands_claim_orm",
    "commands_claim_sql",
]


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- Claims: each charger's oldest deliverable command, marked sent with the session's unique id ---------------


def commands_claim(*, unique_ids: dict[int, str], now: datetime) -> dict[int, ClaimedCommand]:
    """charger pk -> the command claimed for it (chargers with nothing deliverable are left out)."""
    twin = commands_claim_sql if _postgresql() else commands_claim_orm
    return twin(unique_ids=unique_ids, now=now)


# One statement for all chargers. The status check in the UPDATE makes a concurrent claim of the same row
# (PostgreSQL re-checks it after the row lock) claim nothing rather than claim twice.
_CLAIM_SQL = """
    UPDATE chargers_command AS c
    SET status = 'sent', sent_at = %s, unique_id = ids.uid, attempts = c.attempts + 1
    FROM (
        SELECT DISTINCT ON (charge_point_id) id, charge_point_id FROM chargers_command
        WHERE charge_point_id = ANY(%s) AND status = 'queued' AND (not_before IS NULL OR not_before <= %s)
        ORDER BY charge_point_id, created_at, id
    ) AS next, unnest(%s::bigint[], %s::text[]) AS ids(charge_point_id, uid)
    WHERE c.id = next.id AND ids.charge_point_id = next.charge_point_id AND c.status = 'queued'
    RETURNING c.id, c.charge_point_id, c.action, c.payload, c.unique_id
"""


def commands_claim_sql(*, unique_ids: dict[int, str], now: datetime) -> dict[int, ClaimedCommand]:
    pks = list(unique_ids)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [now, pks, now, pks, [unique_ids[pk] for pk in pks]])
        rows = cursor.fetchall()
    return {
        charge_point_pk: ClaimedCommand(pk, action, json.loads(payload) if isinstance(payload, str) else payload, uid)
        for pk, charge_point_pk, action, payload, uid in rows
    }


def _deliverable(charge_point_pk: int, now: datetime) -> QuerySet[Command]:
    return Command.objects.filter(charge_point_id=charge_point_pk, status=CommandStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )


def commands_claim_orm(*, unique_ids: dict[int, str], now: datetime) -> dict[int, ClaimedCommand]:
    claimed = {}
    for charge_point_pk, unique_id in unique_ids.items():
        candidate = _deliverable(charge_point_pk, now).order_by("created_at", "id").first()
        # Conditional on the status, like the SQL twin: a concurrent claim of the same row claims nothing.
        if candidate is not None and Command.objects.filter(pk=candidate.pk, status=CommandStatus.QUEUED).update(
            status=CommandStatus.SENT, sent_at=now, unique_id=unique_id, attempts=F("attempts") + 1
        ):
            claimed[charge_point_pk] = ClaimedCommand(candidate.pk, candidate.action, candidate.payload, unique_id)
    return claimed


# --- Answers: status, response, problems and time of many answered commands ----------------------------------


def commands_answers_save(*, answered: list[Command], now: datetime) -> None:
    """Write the status, response and error_description the answers set on these commands, answered `now`."""
    if answered:
        twin = commands_answers_save_sql if _postgresql() else commands_answers_save_orm
        twin(answered=answered, now=now)


# One statement for the whole batch: Django's bulk_update builds a CASE per column and row, which costs more
# CPU on the database thread than the thousand answers of a bulk command are worth.
_ANSWERS_SQL = """
    UPDATE chargers_command AS c
    SET status = a.status, response = a.response::jsonb, error_description = a.problems, answered_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS a(id, status, response, problems)
    WHERE c.id = a.id
"""


def commands_answers_save_sql(*, answered: list[Command], now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _ANSWERS_SQL,
            [
                now,
                [c.pk for c in answered],
                [c.status for c in answered],
                [json.dumps(c.response) for c in answered],
                [c.error_description for c in answered],
            ],
        )


def commands_answers_save_orm(*, answered: list[Command], now: datetime) -> None:
    for command in answered:
        command.answered_at = now
    Command.objects.bulk_update(answered, ["status", "response", "error_description", "answered_at"])
