"""The protocol room's name for the redaction rule, which lives in chargers/redaction.py so that the command
services apply it too without importing the room."""

from chargers.redaction import REDACTED, SECRET_ACTIONS, SECRET_KEYS, redact

__all__ = ["REDACTED", "SECRET_ACTIONS", "SECRET_KEYS", "redact"]
