"""Hosted firmware over real HTTP: an UpdateFirmware naming hosted firmware reaches a simulated charger with a signed
link; the charger downloads the file from the portal, checks it and reports each FirmwareStatusNotification; a
tampered link is 404 and an expired one 403."""

import asyncio
import hashlib
import time
import uuid

import pytest

from chargers.commands.services import command_create
from chargers.files.services import firmware_create, firmware_signed_url
from chargers.models import ChargePoint, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.files.helpers import http
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "fedcba9876543210fedcba9876543210fedcba98"
IMAGE = bytes(range(256)) * 400  # 100 kB of firmware
STATUSES = ["Downloading", "Downloaded", "Installing", "Installed"]


def new_charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"FW-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def wait_until_status(charger: ChargePoint, status: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        charger.refresh_from_db()
        if charger.firmware_status == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"firmware status {charger.firmware_status!r}, not {status!r}")


def test_a_charger_downloads_hosted_firmware_at_its_signed_link_and_reports_each_status(
    command_portal, celery_worker, settings
) -> None:
    settings.PUBLIC_URL = command_portal.http_url
    charger = new_charger()
    firmware = firmware_create(chunks=[IMAGE], file_name="inch-1.12.zip", version=uuid.uuid4().hex[:8], model="INCH")

    async def scenario() -> tuple[dict, bytes, list[dict]]:
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.boot()
        asked = asyncio.get_running_loop().create_future()
        sim.answers["UpdateFirmware"] = lambda payload: asked.set_result(payload) or {}
        await in_db_thread(
            command_create,
            charge_point=charger,
            action="UpdateFirmware",
            payload={"firmware_id": firmware.pk},
            check_payload=request_problem,
        )
        payload = await asyncio.wait_for(asked, 10)
        status, body = await asyncio.to_thread(http, "GET", payload["location"])
        assert status == 200
        answers = []
        for firmware_status in STATUSES:
            answers.append(await sim.call("FirmwareStatusNotification", {"status": firmware_status}))
            await in_db_thread(wait_until_status, charger, firmware_status)
        await sim.close()
        return payload, body, answers

    payload, body, answers = asyncio.run(scenario())
    assert "firmware_id" not in payload and payload["location"].startswith(f"{command_portal.http_url}/files/firmware/")
    assert hashlib.sha256(body).hexdigest() == firmware.sha256 and len(body) == firmware.size
    assert answers == [{}] * len(STATUSES)
    charger.refresh_from_db()
    assert charger.firmware_status == "Installed"
    assert charger.commands.get().status == CommandStatus.ACCEPTED


def test_a_tampered_firmware_link_is_404_and_an_expired_one_403(portal, settings) -> None:
    settings.PUBLIC_URL = portal.http_url
    charger = new_charger()
    firmware = firmware_create(chunks=[IMAGE], file_name="inch.zip", version=uuid.uuid4().hex[:8], model="INCH")
    link = firmware_signed_url(firmware=firmware, charge_point=charger)
    assert http("GET", link) == (200, IMAGE)
    signature_end = link.rindex("/")
    tampered = link[: signature_end - 1] + ("x" if link[signature_end - 1] != "x" else "y") + link[signature_end:]
    assert http("GET", tampered)[0] == 404
    assert http("GET", firmware_signed_url(firmware=firmware, charge_point=charger, ttl_s=-1))[0] == 403
