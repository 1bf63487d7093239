"""Writes and business rules of the chargers app; one module per topic, all exported here (the profile
services are in chargers/profiles/services.py)."""

from chargers.services.charge_points import *  # noqa: F403
from chargers.services.charge_points import __all__ as _charge_points

__all__ = [*_charge_points]
