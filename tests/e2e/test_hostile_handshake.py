"""A charger id or path the database cannot hold is refused like any other bad handshake, and logged."""

import asyncio

import pytest
import websockets

from chargers.models import ConnectionAttempt

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_status(url: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, subprotocols=["ocpp1.6"], open_timeout=10)
    return refused.value.response.status_code


@pytest.mark.parametrize(
    ("quoted", "stored"),
    [
        ("HS%00NUL", "HS\\x00NUL"),  # PostgreSQL text cannot hold NUL
        ("HS%07BEL%1B", "HS\\x07BEL\\x1b"),  # control characters
        ("HS%C2%85NEL%7F", "HS\\x85NEL\\x7f"),  # C1 control and DEL
    ],
)
def test_a_charger_id_with_a_control_character_is_refused_with_403_and_logged(portal, quoted, stored) -> None:
    assert asyncio.run(refused_status(f"{portal.ocpp_url}/{quoted}")) == 403
    attempt = ConnectionAttempt.objects.get(charge_point_ident=stored)
    assert attempt.reason.startswith("bad URL")
    assert "control character" in attempt.reason
    assert attempt.remote_addr == "127.0.0.1"
    assert "\x00" not in attempt.path


def test_another_path_with_a_nul_is_refused_and_logged(portal) -> None:
    assert asyncio.run(refused_status(f"ws://127.0.0.1:{portal.port}/not-ocpp/%00x")) == 403
    assert ConnectionAttempt.objects.filter(path="/not-ocpp/\\x00x", reason__startswith="bad URL").exists()
