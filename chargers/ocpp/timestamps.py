"""OCPP timestamps: accept what chargers send (offsets, fractions, even no zone), send UTC with Z."""

import logging
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


class NaiveTimestamp(ValueError):
    pass


def parse_timestamp(value: str) -> tuple[datetime, bool]:
    """Return (aware datetime, was_naive). A timestamp without a zone is taken as UTC and flagged."""
    if not isinstance(value, str):
        raise ValueError(f"timestamp must be a string, not {type(value).__name__}")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), True
    return parsed, False


def format_timestamp(moment: datetime) -> str:
    """UTC, millisecond precision, with Z: the form every charger parses."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
