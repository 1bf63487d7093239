"""What a websocket handshake must pass before the database is asked anything about the charger."""

from chargers.storable import has_control_characters

SUBPROTOCOL = "ocpp1.6"
MAX_IDENT_LENGTH = 100
# "." and ".." are path segments, not names: a page of a charger so named (/chargers/../) is no page of it.
DOT_SEGMENTS = frozenset({".", ".."})
# What the server's URL decoding makes of percent-escapes that are not UTF-8 (%FF): two different ids sent
# would become one stored id.
UNDECODABLE = "\ufffd"


def handshake_problem(*, ident: str, subprotocols: list[str]) -> str:
    """Why the handshake is refused, or "" when it may go on to authentication."""
    if not ident or len(ident) > MAX_IDENT_LENGTH:
        return f"bad URL: the charge point id must be 1 to {MAX_IDENT_LENGTH} characters"
    if has_control_characters(ident):
        # A NUL cannot even be looked up in PostgreSQL; no real charger id holds a control character.
        return "bad URL: the charge point id holds a control character"
    if ident in DOT_SEGMENTS:
        return "bad URL: the charge point id is a dot segment ('.' or '..')"
    if UNDECODABLE in ident:
        return "bad URL: the charge point id is not UTF-8 once its percent-escapes are decoded"
    if SUBPROTOCOL not in subprotocols:
        offered = ", ".join(subprotocols) or "none"
        return f"subprotocol {SUBPROTOCOL} not offered (offered: {offered})"
    return ""
