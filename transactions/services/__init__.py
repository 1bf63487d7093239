"""Writes and business rules of charging sessions and meter values; one module per topic, all exported here."""

from transactions.services.meter_values import *  # noqa: F403
from transactions.services.meter_values import __all__ as _meter_values
from transactions.services.sessions import *  # noqa: F403
from transactions.services.sessions import __all__ as _sessions

__all__ = [*_meter_values, *_sessions]
