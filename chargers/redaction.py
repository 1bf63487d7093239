"""Keep secrets out of sight: an AuthorizationKey set or read through configuration keys, and the one-time
credentials in a GetDiagnostics location the portal filled in (chargers/files/).

Plain data and a pure function that import nothing, like chargers/actions.py: the message log (in the protocol
room), the command services (which scrub ended commands) and the API and admin (which show commands) apply the
same rule without the services importing the protocol room.
"""

import re
from typing import Any

SECRET_KEYS = frozenset({"authorizationkey"})
# The operations whose requests or answers can carry such a value.
SECRET_ACTIONS = frozenset({"ChangeConfiguration", "GetConfiguration", "GetDiagnostics"})
REDACTED = "***redacted***"
# Where chargers upload diagnostics over HTTP, under PUBLIC_URL: DIAGNOSTICS_UPLOAD_PATH<token>/<secret>/.
DIAGNOSTICS_UPLOAD_PATH = "files/upload/"
# A location's secrets: the password of ftp://user:PASSWORD@host/ and the key of …/files/upload/<token>/KEY/.
_LOCATION_SECRETS = (
    (re.compile(r"(?<=://)([^:/@]*):[^@/]*@"), r"\1:***@"),
    (re.compile(rf"(/{re.escape(DIAGNOSTICS_UPLOAD_PATH)}[^/]+/)[^/]+"), r"\1***"),
)


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
    return {
        k: (REDACTED if is_secret and k == "value" else _mask_location(v) if k == "location" else _walk(v))
        for k, v in node.items()
    }


def _mask_location(location: Any) -> Any:
    if not isinstance(location, str):
        return location
    for pattern, replacement in _LOCATION_SECRETS:
        location = pattern.sub(replacement, location)
    return location
