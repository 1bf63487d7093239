"""Text from a charger's handshake made fit to store and to show.

PostgreSQL text cannot hold NUL, and UTF-8 cannot hold a lone surrogate (what an undecodable byte may become);
other control characters can be stored but make a log line or an admin page lie about what was sent. Such
characters are written as their escapes instead, so the record says exactly what arrived.
"""

import re

# Unicode category Cc (C0 controls, DEL, C1 controls) and Cs (surrogates).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def storable_text(text: str) -> str:
    """The text with every control character and lone surrogate written as its escape (NUL becomes \\x00)."""
    return CONTROL_CHARACTERS.sub(lambda match: ascii(match.group())[1:-1], text)
