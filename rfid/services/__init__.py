"""Writes and business rules of id tags; one module per topic, all exported here."""

from rfid.services.authorization import *  # noqa: F403
from rfid.services.authorization import __all__ as _authorization
from rfid.services.tag_bulk import *  # noqa: F403
from rfid.services.tag_bulk import __all__ as _tag_bulk
from rfid.services.tags import *  # noqa: F403
from rfid.services.tags import __all__ as _tags

__all__ = [*_authorization, *_tags, *_tag_bulk]
