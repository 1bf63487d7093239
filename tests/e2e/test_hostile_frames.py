"""Hundreds of generated hostile frames against a real daphne: each CALL gets an answer that is not InternalError,
the server logs no traceback, and a well-behaved charger connected alongside keeps all its data."""

import asyncio
import json
import os
import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chargers.models import ChargePoint
from chargers.services import charge_point_register
from tests.conftest import PortalServer, start_portal
from tests.simulator import SimulatedCharger, inch_sampled_values
from transactions.models import MeterValue, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "00112233445566778899aabbccddeeff00112233"
# Another seed explores other frames: HOSTILE_SEED=123 pytest tests/e2e/test_hostile_frames.py
SEED = int(os.environ.get("HOSTILE_SEED", "20261124"))
FRAMES = 400

TIMESTAMP = "2026-11-24T10:00:00Z"
TEMPLATES: dict[str, dict] = {
    "Authorize": {"idTag": "FA2AFD77"},
    "BootNotification": {
        "chargePointVendor": "Etrel",
        "chargePointModel": "G-HB1V5CY20-A14",
        "firmwareVersion": "5.4:5.0.5",
        "chargePointSerialNumber": "SN-1",
        "meterType": "MID",
    },
    "DataTransfer": {"vendorId": "Etrel", "messageId": "TxLimit", "data": '{"limit": 5}'},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 5,
        "meterValue": [
            {
                "timestamp": TIMESTAMP,
                "sampledValue": [
                    {"value": "2.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
                    {"value": "230.1", "unit": "V", "measurand": "Voltage", "phase": "L1-N"},
                ],
            }
        ],
    },
    "StartTransaction": {"connectorId": 1, "idTag": "FA2AFD77", "meterStart": 100, "timestamp": TIMESTAMP},
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": TIMESTAMP,
        "info": "ok",
        "vendorId": "Etrel",
    },
    "StopTransaction": {
        "transactionId": 5,
        "meterStop": 200,
        "timestamp": TIMESTAMP,
        "idTag": "FA2AFD77",
        "reason": "Local",
        "transactionData": [{"timestamp": TIMESTAMP, "sampledValue": [{"value": "2.6", "unit": "kWh"}]}],
    },
}

STRINGS = ["\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d", "", "A" * 300, "\u202e", "\U0001f4a5", "1e30", "NaN"]
INTEGERS = [-1, 0, -(2**31), -(2**31) - 1, 2**31 - 1, 2**31, 2**40, 2**63, 2**70, -(2**70)]
OTHERS = [None, True, [], {}, 1.5, 1.0, 1e300, 2**1100, float("nan"), float("inf"), {"a": "\x00"}, ["\ud800"]]
TIMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1970-01-01T00:00:00Z",
    "2026-13-45T25:61:61Z",
    "2026-01-01T00:00:00+25:00",
    "2026-01-01",
]
JUNK = [
    '[3, "nobody-asked", {"a": "\\u0000"}]',
    '[4, "nobody-asked", "\\u0000", "\\ud800", {}]',
    '[2, 5, "Heartbeat", {}]',
    '[2, "\\u0000", "Heartbeat", {}]',
    '[2, "j1", "Heart\\u0000beat", {}]',
    '[2, "j2", "MeterValues", {"connectorId": 1, "meterValue": NaN}]',
    "\x00",
    '[2, "j3", "Authorize", {"idTag": "' + "9" * 5000 + '"}]',
]


def _leaves(value: object, path: tuple = ()) -> Iterator[tuple]:
    """Every place in a payload a hostile value can go: each field, list element and object."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))


def _hostile_value(rng: random.Random) -> object:
    pool = rng.choice([STRINGS, INTEGERS, OTHERS, TIMES])
    return rng.choice(pool)


def _set(payload: dict, path: tuple, value: object) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def hostile_call(rng: random.Random, n: int) -> tuple[str, str]:
    """(unique id, frame text): a valid CALL with one to three places made hostile, or a field dropped or
    added, or a hostile unique id."""
    action = rng.choice(sorted(TEMPLATES))
    payload = json.loads(json.dumps(TEMPLATES[action]))
    for _ in range(rng.randint(1, 3)):
        places = list(_leaves(payload))
        roll = rng.random()
        if places and roll < 0.8:
            _set(payload, rng.choice(places), _hostile_value(rng))
        elif places and roll < 0.9:
            _drop(payload, rng.choice(places))
        else:
            payload[rng.choice(["extra", "\x00", "\ud800"])] = _hostile_value(rng)
    unique_id = f"h{n}" + (rng.choice(["\x00", "\ud800", ""]) if rng.random() < 0.05 else "")
    return unique_id, json.dumps([2, unique_id, action, payload])


def _drop(payload: dict, path: tuple) -> None:
    """Leave a field out (a list element becomes null)."""
    target = payload
    for step in path[:-1]:
        target = target[step]
    if isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = None


@pytest.fixture
def logged_portal(tmp_path: Path) -> Iterator[tuple[PortalServer, Path]]:
    """A daphne of its own whose log (stderr) the test reads."""
    server = start_portal(log=tmp_path / "daphne", OCPP_REGISTRATION="pending")
    try:
        yield server, tmp_path / "daphne.err"
    finally:
        server.stop()


def registered(prefix: str) -> ChargePoint:
    return charge_point_register(charge_point_id=f"{prefix}-{uuid.uuid4().hex[:10]}", auth_key=KEY)


async def hostile_session(server: PortalServer, charger: ChargePoint, rng: random.Random) -> list[tuple[str, list]]:
    """The answer to each hostile CALL; the junk frames between them have no answer a test can match."""
    answers = []
    async with SimulatedCharger(server.ocpp_url, charger.charge_point_id, password=KEY) as sim:
        for n in range(FRAMES):
            if n % 40 == 0:
                await sim.send_frame(JUNK[(n // 40) % len(JUNK)])
            unique_id, text = hostile_call(rng, n)
            answers.append((text, await sim.send_frame(text, unique_id, timeout=10)))
    return answers


async def good_session(server: PortalServer, charger: ChargePoint) -> int:
    async with SimulatedCharger(server.ocpp_url, charger.charge_point_id, password=KEY) as sim:
        await sim.boot()
        await sim.status(1, "Preparing")
        tx_id = (await sim.start(1, "FA2AFD77", 1000))["transactionId"]
        for minute in range(20):
            reading = {"timestamp": f"2026-11-24T11:{minute:02d}:00Z", "sampledValue": inch_sampled_values(minute, 3.7)}
            assert (
                await sim.call("MeterValues", {"connectorId": 1, "transactionId": tx_id, "meterValue": [reading]}) == {}
            )
            await asyncio.sleep(0.05)
        await sim.stop(tx_id, 21000, timestamp="2026-11-24T11:30:00Z")
        return tx_id


def test_hostile_frames_get_answers_and_leave_no_traceback(logged_portal) -> None:
    server, log = logged_portal
    hostile, good = registered("EVIL"), registered("GOOD")
    rng = random.Random(SEED)

    async def scenario() -> tuple[list[tuple[str, list]], int]:
        return await asyncio.gather(hostile_session(server, hostile, rng), good_session(server, good))

    try:
        answers, tx_id = asyncio.run(scenario())
    finally:
        server.stop()  # every line of the log is written
        stderr = log.read_text(errors="replace")
        print(f"seed {SEED}; the server's log:\n{stderr[-20000:]}")  # shown when the test fails

    assert len(answers) == FRAMES
    for text, frame in answers:
        assert frame[0] in (3, 4), (text, frame)
        if frame[0] == 4:
            assert frame[2] != "InternalError", (f"seed {SEED}", text, frame)
    assert "Traceback" not in stderr, f"seed {SEED}:\n{stderr[-5000:]}"
    assert not re.search(r" (ERROR|CRITICAL) ", stderr), f"seed {SEED}:\n{stderr[-5000:]}"
    # At most one line per frame (FRAMES hostile CALLs, a junk frame every 40, the good charger's 24).
    assert len(re.findall(r" WARNING ", stderr)) <= FRAMES + FRAMES // 40 + 24
    # The well-behaved charger alongside lost nothing.
    session = Transaction.objects.get(pk=tx_id)
    assert (session.meter_start_wh, session.meter_stop_wh) == (1000, 21000)
    assert MeterValue.objects.filter(transaction=session, source="MeterValues").count() == 20 * 10
