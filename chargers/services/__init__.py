"""Writes and business rules of the chargers app; one module per topic, all exported here."""

from chargers.services.charge_points import *  # noqa: F403
from chargers.services.charge_points import __all__ as _charge_points
from chargers.services.profiles import *  # noqa: F403
from chargers.services.profiles import __all__ as _profiles

__all__ = [*_charge_points, *_profiles]
