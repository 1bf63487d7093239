"""A storm of handshakes against a real daphne goes through the handshake's group commits (chargers/ocpp/writers.py):
every charger with the right key is taken over by its own session and marked online, a wrong key is refused and
logged, and a charger that connects twice at once keeps one session and closes the other (4001)."""

import asyncio
import uuid

import pytest
import websockets
from django.db import connection

from chargers.models import ChargePoint, ConnectionAttempt
from chargers.services import charge_point_register
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
CLOSE_REPLACED = 4001


def _held(prefix: str) -> dict[str, str]:
    """The channel holding each online charger of this run (read in a thread of its own: not on the event loop)."""
    try:
        online = ChargePoint.objects.filter(charge_point_id__startswith=prefix, is_online=True)
        return dict(online.values_list("charge_point_id", "channel_name"))
    finally:
        connection.close()


def test_a_storm_of_handshakes_connects_each_charger_refuses_a_wrong_key_and_keeps_one_of_a_double(portal) -> None:
    prefix = f"ST-{uuid.uuid4().hex[:6]}-"
    idents = [charge_point_register(charge_point_id=f"{prefix}{n}", auth_key=KEY).charge_point_id for n in range(30)]
    double, wrong = idents[0], idents[-1]

    async def scenario() -> tuple[list, list, dict, list]:
        sims = [SimulatedCharger(portal.ocpp_url, ident, password=KEY) for ident in [*idents[:-1], double]]
        refused = SimulatedCharger(portal.ocpp_url, wrong, password=KEY[::-1])
        outcomes = await asyncio.gather(*(sim.connect() for sim in [*sims, refused]), return_exceptions=True)
        twins = [sims[0], sims[-1]]
        await asyncio.wait([asyncio.create_task(twin.closed.wait()) for twin in twins], timeout=10)
        open_sims = [sim for sim in sims if not sim.closed.is_set()]
        heartbeats = await asyncio.gather(*(sim.call("Heartbeat", {}) for sim in open_sims))
        held = await asyncio.to_thread(_held, prefix)
        replaced = [twin.ws.close_code for twin in twins if twin.closed.is_set()]
        for sim in sims:
            await sim.close()
        return outcomes, replaced, held, heartbeats

    outcomes, close_codes, held, heartbeats = asyncio.run(scenario())

    assert [type(outcome) for outcome in outcomes] == [SimulatedCharger] * 30 + [websockets.InvalidStatus]
    assert outcomes[-1].response.status_code == 403
    assert close_codes == [CLOSE_REPLACED]  # one of the double's two sessions; the other still answers
    assert len(heartbeats) == 29 and all("currentTime" in answer for answer in heartbeats)
    assert sorted(held) == sorted(idents[:-1])
    assert len(set(held.values())) == 29 and all(held.values())
    assert ConnectionAttempt.objects.filter(charge_point_ident=wrong, reason="wrong AuthorizationKey").count() == 1
