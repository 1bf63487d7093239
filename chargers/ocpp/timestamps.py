"""OCPP timestamps: accept what chargers send (offsets, fractions, even no zone), send UTC with Z."""

import logging
from datetime import UTC, datetime, timedelta

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


# The charger times the portal believes. No OCPP 1.6 charger was made before 2000, and a clock that lost its
# battery restarts at 1970 or at year 1; a clock ahead of ours by drift, or a charger that sends local time
# marked as UTC, is off by hours, not by more than a day. A time outside this window is a broken clock (or a
# hostile frame: year 1 at +01:00 is year 0 in UTC, which PostgreSQL stores and Python cannot read back), so
# the time the frame was received is stored instead and the value as sent stays in the message log.
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)


def is_plausible(moment: datetime, *, received_at: datetime) -> bool:
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:  # beyond year 1 or 9999 once in UTC
        return False
    return EARLIEST_PLAUSIBLE <= in_utc <= received_at + MAX_AHEAD


def plausible_or_received(moment: datetime, *, received_at: datetime, field: str, problems: list[str]) -> datetime:
    """The charger's time, or the time received (noted in `problems`) when the charger's clock cannot be right."""
    if is_plausible(moment, received_at=received_at):
        return moment
    problems.append(
        f"{field}: implausible charger time (before {EARLIEST_PLAUSIBLE.year} or more than {MAX_AHEAD.days} day "
        "ahead), the time received is stored instead"
    )
    return received_at


def format_timestamp(moment: datetime) -> str:
    """UTC, millisecond precision, with Z: the form every charger parses."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
