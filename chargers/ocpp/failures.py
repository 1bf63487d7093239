"""How a frame the portal failed to handle is logged."""

import logging

from django.db import DatabaseError

logger = logging.getLogger("chargers.ocpp.dispatch")


def log_handler_failure(*, charge_point_ident: str, action: str, error: Exception) -> None:
    """The database refusing a frame's data (a value no check foresaw, a lost connection) is one WARNING line,
    as any bad input is (the charger gets a CALLERROR); anything else is a bug, logged with its traceback."""
    if isinstance(error, DatabaseError):
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        logger.warning("charger %s: %s could not be stored: %s", charge_point_ident, action, reason)
        return
    logger.error("charger %s: %s failed", charge_point_ident, action, exc_info=error)
