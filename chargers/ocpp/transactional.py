"""The group-commit flushes of the transactional messages (writers.py runs them): StartTransaction decided and
stored, StopTransaction stored and its tag re-checked, many chargers' calls in one database transaction.

Each flush keeps the order of its batch and the answers of one call at a time: a StartTransaction's tag is
decided just before it is stored (transactions_start's `decide`), so a tag started elsewhere earlier in the same
batch is ConcurrentTx as it was one by one. A tag the portal does not know, when a callout is configured, leaves
the batch unstored (None): the handler asks the callout, outside the database thread, and submits it again
decided.
"""

from dataclasses import dataclass

from django.db import transaction

from rfid.callout import callout_enabled
from rfid.services import Authorization, TagAtConnector, TagDecisions
from transactions.services import StopResult, TransactionStart, TransactionStop, transactions_start, transactions_stop


@dataclass(frozen=True)
class StartCall:
    start: TransactionStart
    reversed_bytes: bool  # the charger's model sends RFID UIDs little-endian: match either byte order
    authorization: Authorization | None = None  # decided already (by the callout): stored as it says


@dataclass(frozen=True)
class StopCall:
    stop: TransactionStop
    reversed_bytes: bool


def starts_store(calls: list[StartCall]) -> list[tuple[int | None, Authorization]]:
    """(transactionId, the decision) per call; transactionId None: left for the callout, nothing stored."""
    tags = [
        TagAtConnector(c.start.id_tag, c.start.charge_point_pk, c.start.connector_id, c.reversed_bytes) for c in calls
    ]
    decisions: list[Authorization] = []

    def decide(index: int) -> str | None:
        call = calls[index]
        authorization = call.authorization or batch.decide(index)
        decisions.append(authorization)
        if call.authorization is None and not authorization.known and callout_enabled():
            return None
        batch.started(index, call.start.started_at)  # stored next: a later start of the tag sees it
        return authorization.status

    with transaction.atomic():
        batch = TagDecisions(tags)  # two queries for the whole batch (rfid/services/authorization.py)
        started = transactions_start(items=[call.start for call in calls], decide=decide)
    return [(found.pk if found else None, decision) for found, decision in zip(started, decisions, strict=True)]


def stops_store(calls: list[StopCall]) -> list[tuple[StopResult, Authorization | None]]:
    """(what the stop found and did, the tag's status now or None when the stop named no tag) per call."""
    with transaction.atomic():
        results = transactions_stop(items=[call.stop for call in calls])
        # The spec's re-check of the tag that stopped: its status now (no ConcurrentTx: the session is ending).
        named = [call for call in calls if call.stop.id_tag]
        tags = [TagAtConnector(c.stop.id_tag, c.stop.charge_point_pk, None, c.reversed_bytes) for c in named]
        decisions = TagDecisions(tags, check_concurrent=False) if named else None
        checked = {id(call): decisions.decide(index) for index, call in enumerate(named)}
    return [(result, checked.get(id(call))) for result, call in zip(results, calls, strict=True)]
