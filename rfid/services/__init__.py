"""Writes and business rules of id tags; one module per topic, all exported here."""

from rfid.services.authorization import *  # noqa: F403
from rfid.services.authorization import __all__ as _authorization
from rfid.services.tags import *  # noqa: F403
from rfid.services.tags import __all__ as _tags

__all__ = [*_authorization, *_tags]
