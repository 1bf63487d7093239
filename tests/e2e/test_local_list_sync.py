"""Local lists kept in sync without anyone pressing a button: a simulated charger that holds a list (and refuses
what a charger would), a real daphne server, a real Celery worker, the command pipeline."""

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chargers.models import ChargePoint, ChargerModel
from chargers.services import charge_point_register
from rfid.locallist.models import LocalList
from rfid.locallist.schedule import DEBOUNCE_KEY
from rfid.locallist.selectors import local_list_open_commands
from rfid.models import IdTag, IdTagStatus
from rfid.services import id_tag_create, id_tag_delete, id_tag_update
from tests.db import in_db_thread
from tests.factories import OperatorFactory
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
MESSAGES = ["SendLocalList", "GetConfiguration", "ClearCache", "Authorize", "BootNotification", "Heartbeat"]


@pytest.fixture(autouse=True)
def quick_debounce(settings):
    settings.RFID_LOCAL_LIST_DEBOUNCE_S = 0.3
    cache.delete(DEBOUNCE_KEY)


def list_charger() -> ChargePoint:
    """A registered charger whose model profile takes SendLocalList (chosen by the operator: boots keep it)."""
    profile, _ = ChargerModel.objects.get_or_create(
        vendor="Simulated", model="List holder", defaults={"supported_messages": {"ocpp16_json": MESSAGES}}
    )
    charger = charge_point_register(charge_point_id=f"LL-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    ChargePoint.objects.filter(pk=charger.pk).update(charger_model=profile, charger_model_overridden=True)
    charger.refresh_from_db()
    return charger


def tags(count: int, prefix: str = "C") -> None:
    IdTag.objects.bulk_create(IdTag(id_tag=f"{prefix}{n:07d}") for n in range(count))


def in_sync(charger: ChargePoint, sim: SimulatedCharger) -> bool:
    local_list = LocalList.objects.filter(charge_point=charger).first()
    return (
        local_list is not None
        and local_list.version > 0
        and local_list.confirmed_version == local_list.version == sim.local_list_version
        and not local_list_open_commands(charge_point_pk=charger.pk).exists()
    )


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await in_db_thread(condition):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached in {timeout}s")


def sent_lists(sim: SimulatedCharger) -> list[dict]:
    return [payload for _, action, payload in sim.received_calls if action == "SendLocalList"]


async def online(portal, charger: ChargePoint, sim: SimulatedCharger) -> SimulatedCharger:
    await sim.connect()
    await sim.boot()
    return sim


def expected_tags() -> set[str]:
    return set(IdTag.objects.filter(status=IdTagStatus.ACCEPTED).values_list("id_tag", flat=True))


def test_a_new_charger_gets_its_whole_list_in_chunks_no_longer_than_it_takes(command_portal, celery_worker) -> None:
    tags(2000)
    charger = list_charger()
    sim = SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY)
    sim.hold_local_list(send_max=300, total_max=100_000)

    async def scenario() -> None:
        await online(command_portal, charger, sim)
        await until(lambda: in_sync(charger, sim))
        await sim.close()

    asyncio.run(scenario())
    lists = sent_lists(sim)
    assert [p["updateType"] for p in lists] == ["Full"] + ["Differential"] * 6
    assert all(len(p["localAuthorizationList"]) <= 300 for p in lists)
    versions = [p["listVersion"] for p in lists]
    assert versions == sorted(set(versions)) and versions[0] >= 1
    assert set(sim.local_list) == expected_tags() and len(sim.local_list) == 2000
    # The limits were asked of the charger before the Full update.
    actions = [action for _, action, _ in sim.received_calls]
    assert actions.index("GetConfiguration") < actions.index("SendLocalList")

    client = APIClient()
    client.force_authenticate(OperatorFactory())
    body = client.get(f"/api/v1/chargers/{charger.charge_point_id}/local-list/").json()
    assert body["version"] == body["confirmed_version"] == versions[-1]
    assert body["confirmed_at"] is not None
    assert (body["entries"], body["pending"], body["problem"]) == (
        2000,
        {"commands": 0, "entries": 0, "full": False},
        "",
    )


def synced_charger(portal, count: int, **limits: int) -> tuple[ChargePoint, SimulatedCharger]:
    tags(count)
    charger = list_charger()
    sim = SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).hold_local_list(**limits)
    return charger, sim


def edit_three_tags() -> None:
    """Three edits one after the other, each committed on its own (a burst, as an operator's clicks)."""
    id_tag_update(tag=IdTag.objects.get(id_tag="C0000001"), status=IdTagStatus.BLOCKED)
    id_tag_delete(tag=IdTag.objects.get(id_tag="C0000002"))
    id_tag_create(id_tag="NEW1")


def test_a_burst_of_edits_reaches_the_charger_as_one_differential(command_portal, celery_worker) -> None:
    charger, sim = synced_charger(command_portal, 20, send_max=50)

    async def scenario() -> None:
        await online(command_portal, charger, sim)
        await until(lambda: in_sync(charger, sim))
        before = len(sent_lists(sim))
        await in_db_thread(edit_three_tags)
        await until(lambda: len(sent_lists(sim)) > before and in_sync(charger, sim))
        await asyncio.sleep(1.0)  # a second Differential would come within the debounce
        sim.differentials = sent_lists(sim)[before:]
        await sim.close()

    asyncio.run(scenario())
    (differential,) = sim.differentials
    assert differential["updateType"] == "Differential"
    entries = {e["idTag"]: e.get("idTagInfo") for e in differential["localAuthorizationList"]}
    assert entries == {"C0000001": None, "C0000002": None, "NEW1": {"status": "Accepted"}}
    assert set(sim.local_list) == expected_tags()


def test_a_version_mismatch_is_answered_with_the_whole_list(command_portal, celery_worker) -> None:
    charger, sim = synced_charger(command_portal, 30, send_max=50)

    async def scenario() -> None:
        await online(command_portal, charger, sim)
        await until(lambda: in_sync(charger, sim))
        sim.local_list_refusals.append("VersionMismatch")
        await in_db_thread(id_tag_create, id_tag="AFTER1")
        await until(lambda: "AFTER1" in sim.local_list and in_sync(charger, sim))
        await sim.close()

    asyncio.run(scenario())
    kinds = [p["updateType"] for p in sent_lists(sim)]
    assert kinds == ["Full", "Differential", "Full"]
    assert set(sim.local_list) == expected_tags()
    assert LocalList.objects.get(charge_point=charger).failures == 0


def test_changes_made_while_the_charger_is_offline_reach_it_when_it_reconnects(command_portal, celery_worker) -> None:
    charger, sim = synced_charger(command_portal, 10, send_max=50)

    async def scenario() -> SimulatedCharger:
        await online(command_portal, charger, sim)
        await until(lambda: in_sync(charger, sim))
        await sim.close()
        await until(lambda: not ChargePoint.objects.get(pk=charger.pk).is_online)
        await in_db_thread(id_tag_create, id_tag="WHILEAWAY")
        await until(lambda: local_list_open_commands(charge_point_pk=charger.pk).exists())
        # The same charger back, with the list it kept.
        back = SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY)
        back.hold_local_list(send_max=50)
        back.local_list, back.local_list_version = dict(sim.local_list), sim.local_list_version
        await online(command_portal, charger, back)
        await until(lambda: in_sync(charger, back))
        await back.close()
        return back

    back = asyncio.run(scenario())
    (differential,) = sent_lists(back)
    assert differential["updateType"] == "Differential"
    assert set(back.local_list) == expected_tags()


def test_a_list_longer_than_the_charger_holds_is_cut_and_the_operator_told(command_portal, celery_worker) -> None:
    charger, sim = synced_charger(command_portal, 15, send_max=4, total_max=10)

    async def scenario() -> None:
        await online(command_portal, charger, sim)
        await until(lambda: in_sync(charger, sim))
        await sim.close()

    asyncio.run(scenario())
    assert len(sim.local_list) == 10
    assert all(len(p["localAuthorizationList"]) <= 4 for p in sent_lists(sim))
    problem = LocalList.objects.get(charge_point=charger).problem
    assert "15 tags may charge here" in problem and "at most 10" in problem


def test_a_charger_that_refuses_every_chunk_stops_the_sync_and_says_why(command_portal, celery_worker) -> None:
    # It does not report SendLocalListMaxLength: the portal's default chunk (500) is too long for it.
    charger, sim = synced_charger(command_portal, 600, send_max=300, report_limits=False)

    async def scenario() -> None:
        await online(command_portal, charger, sim)
        await until(lambda: LocalList.objects.filter(charge_point=charger, failures=3).exists(), timeout=30)
        await sim.close()

    asyncio.run(scenario())
    assert [p["updateType"] for p in sent_lists(sim)] == ["Full"] * 3
    assert sim.local_list == {}
    assert "Failed" in LocalList.objects.get(charge_point=charger).problem
