"""The local-list sync's rules, on the database alone (the whole path with a charger is in
tests/e2e/test_local_list_sync.py): which tags belong on a charger's list, chunks and versions, when it waits."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from chargers.models import ChargePoint, ChargerModel, Command, ConfigurationKey, RegistrationStatus
from core import events
from rfid.locallist.models import LocalList
from rfid.locallist.services import local_list_sync
from rfid.models import IdTag, IdTagStatus
from rfid.services import id_tag_create, id_tag_update
from tests.factories import ChargePointFactory
from transactions.models import Site

pytestmark = pytest.mark.django_db


def _unchecked(action: str, payload: dict) -> None:
    return None


def sync(charger: ChargePoint, **options: bool) -> str:
    return local_list_sync(charge_point=charger, check_payload=_unchecked, **options).kind


def list_charger(*, chunk: int = 100, **fields: object) -> ChargePoint:
    """Online, accepted, a profile that takes lists, its limits reported (no GetConfiguration first)."""
    profile, _ = ChargerModel.objects.get_or_create(
        vendor="Acme",
        model="Lister",
        defaults={"supported_messages": {"ocpp16_json": ["SendLocalList", "GetConfiguration"]}},
    )
    charger = ChargePointFactory(charger_model=profile, **{"is_online": True, **fields})
    ConfigurationKey.objects.create(charge_point=charger, key="SendLocalListMaxLength", value=str(chunk))
    return charger


def sent(charger: ChargePoint) -> list[dict]:
    return list(
        Command.objects.filter(charge_point=charger, action="SendLocalList")
        .order_by("pk")
        .values_list("payload", flat=True)
    )


def test_the_list_holds_exactly_the_tags_that_may_charge_at_the_charger() -> None:
    site = Site.objects.create(name="Depot")
    charger, other = list_charger(site=site), ChargePointFactory()
    soon = timezone.now() + timedelta(days=3)
    blocked_group = id_tag_create(id_tag="GROUPB", status=IdTagStatus.BLOCKED)
    open_group = id_tag_create(id_tag="GROUPA", expires_at=soon)
    id_tag_create(id_tag="PLAIN")
    id_tag_create(id_tag="BLOCKED", status=IdTagStatus.BLOCKED)
    id_tag_create(id_tag="OLD", expires_at=timezone.now() - timedelta(days=1))
    id_tag_create(id_tag="INBLOCKED", parent=blocked_group)
    id_tag_create(id_tag="INOPEN", parent=open_group)
    id_tag_create(id_tag="ELSEWHERE").allowed_charge_points.add(other)
    id_tag_create(id_tag="ONSITE").allowed_sites.add(site)
    id_tag_create(id_tag="HERE").allowed_charge_points.add(charger)

    assert sync(charger) == "full"
    (full,) = sent(charger)
    entries = {e["idTag"]: e["idTagInfo"] for e in full["localAuthorizationList"]}
    assert set(entries) == {"GROUPA", "PLAIN", "INOPEN", "ONSITE", "HERE"}
    assert entries["INOPEN"] == {
        "status": "Accepted",
        "expiryDate": soon.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parentIdTag": "GROUPA",
    }
    assert (full["updateType"], full["listVersion"]) == ("Full", 1)


def test_chunks_count_the_version_up_and_a_differential_deletes_what_no_longer_belongs() -> None:
    charger = list_charger(chunk=2)
    IdTag.objects.bulk_create(IdTag(id_tag=f"T{n}") for n in range(5))
    assert sync(charger) == "full"
    assert [(p["updateType"], p["listVersion"], len(p["localAuthorizationList"])) for p in sent(charger)] == [
        ("Full", 1, 2),
        ("Differential", 2, 2),
        ("Differential", 3, 1),
    ]
    id_tag_update(tag=IdTag.objects.get(id_tag="T1"), status=IdTagStatus.BLOCKED)
    IdTag.objects.filter(id_tag="T2").delete()
    id_tag_create(id_tag="T9")
    assert sync(charger) == "differential"
    last = sent(charger)[3:]
    assert [(p["updateType"], p["listVersion"]) for p in last] == [("Differential", 4), ("Differential", 5)]
    changes = [e for p in last for e in p["localAuthorizationList"]]
    assert sorted((e["idTag"], "idTagInfo" in e) for e in changes) == [("T1", False), ("T2", False), ("T9", True)]
    assert LocalList.objects.get(charge_point=charger).entries_count == 4
    assert sync(charger) == "none"


def test_beat_s_tick_compares_only_when_a_tag_changed_since_the_last_sync() -> None:
    charger = list_charger()
    id_tag_create(id_tag="KEEP")
    assert sync(charger, only_if_changed=True) == "full"  # never synced: always
    assert sync(charger, only_if_changed=True) == "none"
    IdTag.objects.filter(id_tag="KEEP").update(status=IdTagStatus.BLOCKED, updated_at=timezone.now())
    assert sync(charger, only_if_changed=True) == "differential"


def test_a_pending_or_offline_new_charger_waits_and_a_charger_without_limits_is_asked_first() -> None:
    pending = list_charger(registration_status=RegistrationStatus.PENDING)
    offline = list_charger(is_online=False)
    assert (sync(pending), sync(offline)) == ("waiting", "waiting")
    unknown_limits = list_charger()
    ConfigurationKey.objects.filter(charge_point=unknown_limits).delete()
    assert sync(unknown_limits) == "configuration"
    (asked,) = Command.objects.filter(charge_point=unknown_limits)
    assert (asked.action, asked.payload) == (
        "GetConfiguration",
        {"key": ["SendLocalListMaxLength", "LocalAuthListMaxLength"]},
    )
    assert sync(unknown_limits) == "configuration", "not twice while the answer is awaited"
    assert not sent(pending) and not sent(offline) and not sent(unknown_limits)


def test_a_list_too_long_for_the_charger_is_cut_and_raised_as_an_alert_once(django_capture_on_commit_callbacks) -> None:
    charger = list_charger()
    ConfigurationKey.objects.create(charge_point=charger, key="LocalAuthListMaxLength", value="2")
    IdTag.objects.bulk_create(IdTag(id_tag=f"T{n}") for n in range(3))
    heard: list = []
    unsubscribe = events.subscribe(lambda batch: heard.extend(batch), names=["alert.raised"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert sync(charger) == "full"
        id_tag_create(id_tag="T9")
        with django_capture_on_commit_callbacks(execute=True):
            assert sync(charger) == "none"  # the first two by id tag are still the list
    finally:
        unsubscribe()
    (full,) = sent(charger)
    assert [e["idTag"] for e in full["localAuthorizationList"]] == ["T0", "T1"]
    (alert,) = heard
    assert (alert.kind, alert.charge_point_id) == ("local_list", charger.charge_point_id)
    assert alert.message.startswith("3 tags may charge here but the charger holds at most 2")
