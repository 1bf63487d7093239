"""The operator's fleet pages through Django's test client: the dashboard by state, the filtered charger list,
a charger's operations as forms (through the command services, refused to viewers), readable answers, and the
log tail's events only while somebody watches. The browser side is tests/browser/test_fleet_pages.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from chargers.bulk import LogEntry
from chargers.commands.models import Command, ConfigurationKey
from chargers.models import RegistrationStatus
from chargers.ocpp.results import request_problem
from chargers.pages.presenting import answer_fields
from chargers.selectors import fleet_state_counts
from chargers.services import charge_point_accept, message_log_write
from core import event_groups
from core import events as core_events
from portal.roles import VIEWERS_GROUP
from portal.selectors import energy_today
from tests.factories import ChargePointFactory, ConnectorFactory, OperatorFactory, TransactionFactory, UserFactory
from webhooks.models import EVENT_NAMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(OperatorFactory(password=None))  # an unusable password: no slow hashing, force_login needs none
    return client


@pytest.fixture
def viewer(client):
    user = OperatorFactory(password=None)  # every permission, and still read-only: the group wins (portal/backends.py)
    user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    client.force_login(user)
    return client


def fleet() -> dict:
    """One charger in each state."""
    made = {
        "available": ChargePointFactory(charge_point_id="AV-1", is_online=True, serial_number="SN-AV-77"),
        "charging": ChargePointFactory(charge_point_id="CH-1", is_online=True, model="INCH", firmware_version="5.4"),
        "faulted": ChargePointFactory(charge_point_id="FA-1", is_online=True),
        "offline": ChargePointFactory(charge_point_id="OF-1", is_online=False, name="Depot gate"),
        "pending": ChargePointFactory(charge_point_id="PE-1", registration_status=RegistrationStatus.PENDING),
    }
    ConnectorFactory(charge_point=made["available"], status="Available")
    ConnectorFactory(charge_point=made["charging"], status="Charging", power_w=Decimal("7345"))
    ConnectorFactory(charge_point=made["charging"], connector_id=2, status="Available")
    ConnectorFactory(charge_point=made["faulted"], status="Faulted")
    ConnectorFactory(charge_point=made["faulted"], connector_id=2, status="Charging")  # faulted wins
    return made


def test_the_fleet_is_counted_by_state_with_faulted_before_charging_and_pending_before_all() -> None:
    fleet()
    assert fleet_state_counts() == {"available": 1, "charging": 1, "faulted": 1, "offline": 1, "pending": 1}


def test_the_dashboard_links_each_state_to_the_filtered_list_and_offers_accept(operator) -> None:
    fleet()
    page = operator.get("/").content.decode()
    for state in ("available", "charging", "faulted", "offline", "pending"):
        assert f'href="/chargers/?state={state}"' in page
    assert 'action="/chargers/PE-1/accept/"' in page
    listed = operator.get("/chargers/?state=charging").context["charge_points"]
    assert [cp.charge_point_id for cp in listed] == ["CH-1"]


def test_the_charger_list_filters_and_searches(operator) -> None:
    fleet()

    def ids(query: str) -> list[str]:
        response = operator.get(f"/chargers/?{query}")
        assert response.status_code == 200
        return [cp.charge_point_id for cp in response.context["charge_points"]]

    assert ids("online=no") == ["OF-1", "PE-1"]
    assert ids("model=INCH") == ["CH-1"]
    assert ids("firmware=5.4") == ["CH-1"]
    assert ids("q=sn-av") == ["AV-1"]  # the serial number, any case
    assert ids("q=depot") == ["OF-1"]  # the name
    assert ids("state=faulted&online=yes") == ["FA-1"]


def test_a_bad_filter_is_reported_not_ignored(operator) -> None:
    fleet()
    response = operator.get("/chargers/?state=exploded")
    assert response.status_code == 400
    assert "exploded" in response.content.decode()


def test_accepting_a_pending_charger_queues_a_boot_trigger_and_accepts_it() -> None:
    charger = ChargePointFactory(registration_status=RegistrationStatus.PENDING, is_online=True)
    command = charge_point_accept(charge_point=charger, check_payload=request_problem, requested_via="web")
    charger.refresh_from_db()
    assert charger.registration_status == RegistrationStatus.ACCEPTED
    assert (command.action, command.payload, command.status) == (
        "TriggerMessage",
        {"requestedMessage": "BootNotification"},
        "queued",
    )
    # Accepting it again asks nothing more of it (a boot may not be triggered once Accepted).
    assert charge_point_accept(charge_point=charger, check_payload=request_problem) is None
    assert Command.objects.filter(charge_point=charger).count() == 1
    assert command.expires_at < timezone.now() + timedelta(minutes=3)  # never delivered late, once Accepted


def test_an_offline_pending_charger_is_accepted_without_a_trigger_it_would_get_too_late() -> None:
    charger = ChargePointFactory(registration_status=RegistrationStatus.PENDING, is_online=False)
    assert charge_point_accept(charge_point=charger, check_payload=request_problem) is None
    charger.refresh_from_db()
    assert charger.registration_status == RegistrationStatus.ACCEPTED
    assert not Command.objects.exists()


def test_a_viewer_sees_no_operation_and_a_forged_post_gets_403(viewer) -> None:
    session = TransactionFactory(charge_point=ChargePointFactory(is_online=True))
    ident = session.charge_point.charge_point_id
    page = viewer.get(f"/chargers/{ident}/").content.decode()
    assert "data-operation=" not in page and "data-stop=" not in page and "read-only" in page
    forged = {"op-RemoteStopTransaction-transactionId": str(session.pk)}
    assert viewer.post(f"/chargers/{ident}/operations/RemoteStopTransaction/", forged).status_code == 403
    pending = ChargePointFactory(registration_status=RegistrationStatus.PENDING)
    assert viewer.post(f"/chargers/{pending.charge_point_id}/accept/").status_code == 403
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.PENDING
    assert not Command.objects.exists()


def test_remote_stop_is_prefilled_and_queued_like_the_apis_command(operator) -> None:
    session = TransactionFactory(charge_point=ChargePointFactory(is_online=True))
    ident = session.charge_point.charge_point_id
    page = operator.get(f"/chargers/{ident}/")
    forms = {op.action: op.form for op in page.context["operation_forms"]}
    assert forms["RemoteStopTransaction"]["transactionId"].value() == session.pk
    response = operator.post(
        f"/chargers/{ident}/operations/RemoteStopTransaction/",
        {"op-RemoteStopTransaction-transactionId": str(session.pk)},
    )
    assert response.status_code == 302
    command = Command.objects.get()
    assert (command.action, command.payload, command.requested_via) == (
        "RemoteStopTransaction",
        {"transactionId": session.pk},
        "web",
    )


def test_reset_defaults_to_soft_and_asks_for_confirmation_while_a_session_runs(operator) -> None:
    session = TransactionFactory(charge_point=ChargePointFactory(is_online=True))
    ident = session.charge_point.charge_point_id
    forms = {op.action: op.form for op in operator.get(f"/chargers/{ident}/").context["operation_forms"]}
    assert forms["Reset"]["type"].value() == "Soft" and "confirm" in forms["Reset"].fields
    refused = operator.post(f"/chargers/{ident}/operations/Reset/", {"op-Reset-type": "Hard"})
    assert refused.status_code == 400
    assert "A session is running" in refused.content.decode()
    assert not Command.objects.exists()
    operator.post(f"/chargers/{ident}/operations/Reset/", {"op-Reset-type": "Hard", "op-Reset-confirm": "on"})
    assert Command.objects.get().payload == {"type": "Hard"}


def test_a_reset_without_a_session_needs_no_confirmation(operator) -> None:
    charger = ChargePointFactory(is_online=True)
    forms = {
        op.action: op.form for op in operator.get(f"/chargers/{charger.charge_point_id}/").context["operation_forms"]
    }
    assert "confirm" not in forms["Reset"].fields
    operator.post(f"/chargers/{charger.charge_point_id}/operations/Reset/", {"op-Reset-type": "Soft"})
    assert Command.objects.get().payload == {"type": "Soft"}


def test_a_bad_operation_is_refused_naming_the_field_and_queues_nothing(operator) -> None:
    charger = ChargePointFactory(is_online=True)
    url = f"/chargers/{charger.charge_point_id}/operations/"
    bad = operator.post(
        f"{url}ChangeAvailability/", {"op-ChangeAvailability-connectorId": "one", "op-ChangeAvailability-type": ""}
    )
    assert bad.status_code == 400
    errors = bad.context["operation_forms"][4].form.errors
    assert errors == {"connectorId": ["Enter a whole number."], "type": ["This field is required."]}
    assert "Enter a whole number." in bad.content.decode()
    assert operator.post(f"{url}BurnItDown/", {}).status_code == 404
    assert operator.get(f"{url}Reset/").status_code == 405
    pending = ChargePointFactory(registration_status=RegistrationStatus.PENDING)
    stop = operator.post(
        f"/chargers/{pending.charge_point_id}/operations/RemoteStopTransaction/",
        {"op-RemoteStopTransaction-transactionId": "5"},
    )
    assert stop.status_code == 400 and "not allowed while" in stop.content.decode()
    assert not Command.objects.exists()


def test_configuration_keys_and_answers_read_as_fields(operator) -> None:
    charger = ChargePointFactory(is_online=True)
    ConfigurationKey.objects.create(charge_point=charger, key="HeartbeatInterval", value="300")
    Command.objects.create(
        charge_point=charger,
        action="GetConfiguration",
        payload={},
        status="accepted",
        response={"configurationKey": [{"key": "HeartbeatInterval", "value": "300", "readonly": False}]},
        expires_at=timezone.now() + timedelta(hours=1),
    )
    page = operator.get(f"/chargers/{charger.charge_point_id}/").content.decode()
    assert "<code>HeartbeatInterval</code>" in page
    assert "<dt>Configuration key</dt><dd>1: HeartbeatInterval=300</dd>" in page


def test_an_answer_reads_as_labelled_fields() -> None:
    fields = answer_fields({"status": "Accepted", "idTagInfo": {"status": "Blocked"}, "unknownKey": ["Foo", "Bar"]})
    assert [(f.label, f.text) for f in fields] == [
        ("Status", "Accepted"),
        ("Id tag info · Status", "Blocked"),
        ("Unknown key", "Foo, Bar"),
    ]
    many = answer_fields({"configurationKey": [{"key": f"K{i}", "value": str(i)} for i in range(7)]})
    assert many[0].text == "7: K0=0, K1=1, K2=2, K3=3, K4=4 and 2 more"
    assert answer_fields(None) == []


def test_energy_today_counts_sessions_ended_today_and_what_running_ones_charged() -> None:
    now = timezone.now()
    charger = ChargePointFactory()
    TransactionFactory(charge_point=charger, meter_start_wh=1000, meter_stop_wh=4500, stopped_at=now)
    TransactionFactory(
        charge_point=charger,
        meter_start_wh=0,
        meter_stop_wh=9000,
        started_at=now - timedelta(days=3),
        stopped_at=now - timedelta(days=2),
    )
    TransactionFactory(charge_point=charger, connector_id=2, meter_start_wh=10_000)
    ConnectorFactory(charge_point=charger, connector_id=2, energy_wh=Decimal("12500"))
    figures = energy_today(now=now)
    assert (figures.ended_wh, figures.running_wh, figures.total_wh) == (3500, Decimal("2500"), Decimal("6000"))


def test_a_customer_may_not_operate(client) -> None:
    charger = ChargePointFactory()
    client.force_login(UserFactory(password=None))
    assert client.post(f"/chargers/{charger.charge_point_id}/operations/Reset/", {}).status_code == 403
    assert client.post(f"/chargers/{charger.charge_point_id}/accept/").status_code == 403


def entry(charge_point_pk: int, ident: str) -> LogEntry:
    return LogEntry(charge_point_pk, ident, "in", 2, "1", "Heartbeat", {}, "", "", "", timezone.now())


def test_the_log_tail_is_published_only_for_chargers_somebody_watches(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    watched, quiet = ChargePointFactory(), ChargePointFactory()
    heard = []
    unsubscribe = core_events.subscribe(heard.extend, names=["charger.log"])
    try:
        monkeypatch.setattr("chargers.services.message_log.watched_groups", lambda: frozenset())
        with django_capture_on_commit_callbacks(execute=True) as published:
            message_log_write(entries=[entry(watched.pk, watched.charge_point_id)])
        assert published == []  # nobody watches anything: nothing is even built
        group = frozenset({event_groups.charger_group(watched.pk)})
        monkeypatch.setattr("chargers.services.message_log.watched_groups", lambda: group)
        with django_capture_on_commit_callbacks(execute=True):
            message_log_write(
                entries=[entry(watched.pk, watched.charge_point_id), entry(quiet.pk, quiet.charge_point_id)]
            )
    finally:
        unsubscribe()
    assert [(e.charge_point_pk, e.action, e.text) for e in heard] == [(watched.pk, "Heartbeat", "{}")]
    assert heard[0].groups() == (event_groups.charger_group(watched.pk),)


def test_a_remote_start_with_an_empty_profile_box_leaves_the_profile_out(operator) -> None:
    charger = ChargePointFactory(is_online=True)
    url = f"/chargers/{charger.charge_point_id}/"
    box = {op.action: op.form for op in operator.get(url).context["operation_forms"]}["RemoteStartTransaction"]
    assert box["chargingProfile"].value() == ""  # an empty box, not the word "null"
    operator.post(
        f"{url}operations/RemoteStartTransaction/",
        {"op-RemoteStartTransaction-idTag": "CAFE0001", "op-RemoteStartTransaction-chargingProfile": ""},
    )
    assert Command.objects.get().payload == {"idTag": "CAFE0001"}


def test_the_page_only_events_are_offered_to_no_webhook() -> None:
    assert "charger.log" not in EVENT_NAMES and "meter_values.phases" not in EVENT_NAMES
