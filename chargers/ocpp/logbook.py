"""The message log's entries for a session's messages, in and out, handed to the group-commit writer.

Every transport logs through here: dispatch logs the CALLs it handles and their answers, the transports log what
only they see (a frame that cannot be parsed, a reply, a CALL they send).
"""

from typing import Any

from django.utils import timezone

from chargers.models import Direction
from chargers.ocpp.redaction import redact
from chargers.ocpp.session import Session
from chargers.ocpp.writers import writers
from chargers.services.message_log import LogEntry

MAX_RAW_LOG = 10_000

IN, OUT = Direction.IN, Direction.OUT


def log_message(
    session: Session,
    direction: str,
    message_type: int | None,
    unique_id: str,
    action: str,
    payload: Any,
    *,
    raw: str = "",
    error: str = "",
    problems: str = "",
) -> None:
    """One entry, stored soon (fire and forget). A message in is dated when it arrived, one out when sent."""
    writers().message_log.submit_nowait(
        LogEntry(
            session.charge_point_pk,
            session.charge_point_ident,
            direction,
            message_type,
            (unique_id or "")[:64],
            action[:50],
            redact(action, payload),
            raw[:MAX_RAW_LOG],
            error[:40],
            problems,
            session.received_at if direction == IN else timezone.now(),
        )
    )
