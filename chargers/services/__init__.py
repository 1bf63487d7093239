"""Writes and business rules of the chargers app; one module per topic, all exported here (the profile
services are in chargers/profiles/services.py, the command services in their own modules)."""

from chargers.services.authentication import *  # noqa: F403
from chargers.services.authentication import __all__ as _authentication
from chargers.services.boots import *  # noqa: F403
from chargers.services.boots import __all__ as _boots
from chargers.services.message_log import *  # noqa: F403
from chargers.services.message_log import __all__ as _message_log
from chargers.services.registration import *  # noqa: F403
from chargers.services.registration import __all__ as _registration
from chargers.services.sessions import *  # noqa: F403
from chargers.services.sessions import __all__ as _sessions
from chargers.services.soap import *  # noqa: F403
from chargers.services.soap import __all__ as _soap
from chargers.services.status import *  # noqa: F403
from chargers.services.status import __all__ as _status

__all__ = [*_authentication, *_boots, *_message_log, *_registration, *_sessions, *_soap, *_status]
