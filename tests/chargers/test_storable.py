"""Text from a handshake is stored with its control characters escaped, and nothing else changed."""

import pytest

from chargers.ocpp.handshake import handshake_problem
from chargers.storable import has_control_characters, storable_text


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("CP-0001", "CP-0001"),
        ("Ladesäule Süd 1", "Ladesäule Süd 1"),
        ("HS\x00NUL", "HS\\x00NUL"),
        ("a\tb\nc\x7f\x85", "a\\tb\\nc\\x7f\\x85"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ],
)
def test_only_control_characters_and_lone_surrogates_are_escaped(text, stored) -> None:
    assert storable_text(text) == stored
    assert has_control_characters(text) == (text != stored)
    storable_text(text).encode("utf-8")  # what PostgreSQL and SQLite need


def test_a_handshake_problem_names_the_control_character_before_the_subprotocol() -> None:
    assert "control character" in handshake_problem(ident="HS\x00NUL", subprotocols=[])
    assert handshake_problem(ident="HS-1", subprotocols=["ocpp1.6"]) == ""
    assert "not offered" in handshake_problem(ident="HS-1", subprotocols=["ocpp2.0.1"])


@pytest.mark.parametrize(
    ("ident", "problem"),
    [
        (".", "dot segment"),
        ("..", "dot segment"),
        ("\ufffd\ufffd", "not UTF-8"),  # what /ocpp/%FF%FE decodes to
        ("ŠKODA-1", ""),
        ("a.b", ""),
        ("...", ""),
    ],
)
def test_a_charge_point_id_that_is_a_dot_segment_or_undecodable_is_refused(ident: str, problem: str) -> None:
    found = handshake_problem(ident=ident, subprotocols=["ocpp1.6"])
    assert problem in found if problem else found == ""
