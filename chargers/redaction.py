"""Keep secrets out of sight: an AuthorizationKey set or read through configuration keys.

Plain data and a pure function that import nothing, like chargers/actions.py: the message log (in the protocol
room), the command services (which scrub ended commands) and the API and admin (which show commands) apply the
same rule without the services importing the protocol room.
"""

from typing import Any

SECRET_KEYS = frozenset({"authorizationkey"})
# The operations whose requests or answers can carry such a value.
SECRET_ACTIONS = frozenset({"ChangeConfiguration", "GetConfiguration"})
REDACTED = "***redacted***"


def redact(action: str, payload: Any) -> Any:
    if action not in SECRET_ACTIONS or not isinstance(payload, dict):
        return payload
    return _walk(payload)


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    is_secret = str(node.get("key", "")).lower() in SECRET_KEYS
    return {k: (REDACTED if is_secret and k == "value" else _walk(v)) for k, v in node.items()}
