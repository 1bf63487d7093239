"""Who may do what: every API endpoint (enumerated from the URL resolver, so a new one is covered the day it is
added) and every admin page, with each kind of user the roles of INTERFACES.md name.

anonymous, customer (not staff), staff without permissions, viewer (staff in the group `viewers`: sees
everything, changes nothing, sends no command), full operator (staff with every permission), superuser.
"""

import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from drf_spectacular.generators import EndpointEnumerator

from alerts.models import AlertKind
from alerts.services import alert_raise
from chargers.actions import OCPP_MESSAGES
from chargers.files.models import FirmwareRollout, HostedFirmware, UploadProtocol
from chargers.files.services import (
    diagnostics_location_create,
    diagnostics_upload_receive,
    firmware_create,
    rollout_create,
)
from chargers.models import ChargePoint, ChargerModel, ChargingProfile, Command, CommandBatch
from chargers.services import charge_point_register
from rfid.models import IdTag
from tests.factories import (
    IdTagFactory,
    OperatorFactory,
    StaffUserFactory,
    TransactionFactory,
    UserFactory,
    token_client,
)
from transactions.models import BuildingReading, Site
from webhooks.models import Webhook
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

KINDS = ["anonymous", "customer", "staff", "viewer", "operator", "superuser"]
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# The API's own documentation is public on purpose (it shows no data).
PUBLIC = {"/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"}
CHARGER = "CP-ACCESS"
TAG = "ACCESS01"
KEY = "access-key-access-key-0001"

# Valid bodies, so that a write that should be refused would really change something if it were let through.
# A write endpoint missing here is still walked, with an empty body.
WRITE_BODIES = {
    ("POST", "/api/v1/chargers/"): {"charge_point_id": "CP-NEW"},
    ("PATCH", "/api/v1/chargers/{charge_point_id}/"): {"authorization_key": "another-key-another-key"},
    ("POST", "/api/v1/chargers/{charge_point_id}/commands/"): {"action": "Reset", "payload": {"type": "Soft"}},
    ("POST", "/api/v1/command-schedules/"): {
        "name": "nightly clear",
        "cron": "0 3 * * *",
        "action": "ClearCache",
        "payload": {},
        "target": {"charge_point_ids": [CHARGER]},
    },
    ("POST", "/api/v1/commands/{pk}/cancel/"): {},
    ("POST", "/api/v1/chargers/{charge_point_id}/charging-profiles/"): {
        "connectorId": 0,
        "csChargingProfiles": {
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}]},
        },
    },
    ("DELETE", "/api/v1/chargers/{charge_point_id}/charging-profiles/{profile_id}/"): {},
    ("POST", "/api/v1/chargers/{charge_point_id}/composite-schedule/"): {"connectorId": 0, "duration": 600},
    ("POST", "/api/v1/commands/bulk/"): {
        "action": "ClearCache",
        "payload": {},
        "target": {"charge_point_ids": [CHARGER]},
    },
    ("POST", "/api/v1/id-tags/"): {"id_tag": "NEWTAG01"},
    ("PATCH", "/api/v1/id-tags/{id_tag}/"): {"status": "Blocked"},
    ("POST", "/api/v1/id-tags/bulk/"): [{"id_tag": "NEWBULK1"}],
    ("POST", "/api/v1/webhooks/"): {"url": "https://example.com/new-hook", "events": ["meter_values"]},
    ("PATCH", "/api/v1/webhooks/{pk}/"): {"active": False},
    ("POST", "/api/v1/webhooks/{pk}/rotate-secret/"): {},
    ("POST", "/api/v1/sites/"): {"name": "New depot", "grid_limit_a": 32},
    ("PATCH", "/api/v1/sites/{pk}/"): {"grid_limit_kw": 50},
    ("DELETE", "/api/v1/sites/{pk}/"): {},
    ("POST", "/api/v1/sites/{pk}/load/building/"): {"current_a": [10, 10, 10]},
    ("POST", "/api/v1/customers/"): {"username": "new-customer", "password": "a-long-password-2"},
    ("POST", "/api/v1/charger-models/import/"): {"document": {"vendor": "Acme", "model": "New"}},
    # A body that names an object of `world` is a function of it.
    ("POST", "/api/v1/firmware-rollouts/"): lambda world: {
        "firmware": world["rolled_out"],
        "charge_point_ids": [CHARGER],
        "batch_size": 1,
    },
    ("PATCH", "/api/v1/firmware-rollouts/{pk}/"): {"status": "paused"},
}
# Writes that take a file: sent as multipart (a fresh file per request).
# Endpoints that take a file: sent as multipart (the others get JSON), made fresh for each request.
MULTIPART_BODIES = {
    ("POST", "/api/v1/firmware/"): lambda: {
        "file": SimpleUploadedFile("fw.zip", b"firmware"),
        "version": "9.9",
        "model": "ACCESS",
    },
    ("POST", "/api/v1/id-tags/import/"): lambda: {
        "file": SimpleUploadedFile("tags.csv", b"id_tag,status,expiry_date,parent_id_tag,owner\nNEWCSV01,,,,\n")
    },
}


def api_endpoints() -> list[tuple[str, str]]:
    return [(path, method) for path, _regex, method, _view in EndpointEnumerator().get_api_endpoints()]


def make_user(kind: str):
    if kind == "anonymous":
        return None
    if kind == "customer":
        return UserFactory()
    if kind == "staff":
        return StaffUserFactory()
    if kind == "viewer":
        viewer = StaffUserFactory()
        viewer.groups.add(Group.objects.get_or_create(name="viewers")[0])
        viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
        return viewer
    if kind == "operator":
        return OperatorFactory()
    return get_user_model().objects.create_superuser(f"root-{kind}", "root@example.com", "a-long-password-1")


@pytest.fixture
def world(settings, tmp_path) -> dict:
    """One of everything an endpoint can name, and the values of its path parameters."""
    settings.FILES_ROOT = tmp_path
    charger = charge_point_register(charge_point_id=CHARGER, auth_key=KEY)
    # A model profile that takes every message: endpoints that need one (a local-list resync) have their object.
    charger.charger_model = ChargerModel.objects.create(
        vendor="Access", model="Everything", supported_messages={"ocpp16_json": list(OCPP_MESSAGES)}
    )
    charger.save(update_fields=["charger_model"])
    firmware = firmware_create(chunks=[b"fw"], file_name="fw.zip", version="1", model="ACCESS")
    rolled_out = firmware_create(chunks=[b"fw"], file_name="fw.zip", version="2", model="ACCESS")
    rollout = rollout_create(
        firmware=rolled_out, target={"charge_point_ids": [CHARGER]}, batch_size=1, start_time=timezone.now()
    )
    upload, _ = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    diagnostics_upload_receive(upload=upload, file_name="d.zip", chunks=[b"diagnostics"])
    command = Command.objects.create(charge_point=charger, action="ClearCache", payload={})
    batch = CommandBatch.objects.create(action="ClearCache", payload={}, description="one charger")
    transaction = TransactionFactory(charge_point=charger)
    IdTagFactory(id_tag=TAG)
    webhook, _ = webhook_create(owner=OperatorFactory(), url="https://example.com/hook", events=["meter_values"])
    site = Site.objects.create(name="Depot", grid_limit_a=32)
    alert = alert_raise(
        kind=AlertKind.CHARGER_OFFLINE, subject="cp:access", message="offline", charge_point_pk=charger.pk
    )
    customer = UserFactory(username="access-customer")
    # A charging profile to read and clear, and a composite schedule asked, so that its GET has one to show.
    profile = ChargingProfile.objects.create(
        charge_point=charger,
        connector_id=0,
        purpose="ChargePointMaxProfile",
        stack_level=0,
        kind="Relative",
        rate_unit="A",
        periods=[{"startPeriod": 0, "limit": 32}],
    )
    Command.objects.create(
        charge_point=charger, action="GetCompositeSchedule", payload={"connectorId": 0, "duration": 60}
    )
    return {
        "charge_point_id": CHARGER,
        "id_tag": TAG,
        "pk": {
            "commands": command.pk,
            "command-batches": batch.pk,
            "transactions": transaction.pk,
            "webhooks": webhook.pk,
            "sites": site.pk,
            "alerts": alert.pk,
            "customers": customer.pk,
            "charger-models": charger.charger_model.pk,
            "firmware": firmware.pk,
            "firmware-rollouts": rollout.pk,
            # The one {pk} under chargers/{charge_point_id}/: a diagnostics upload.
            "chargers": upload.pk,
        },
        "charger": charger,
        "rolled_out": rolled_out.pk,
        "profile_id": profile.pk,
    }


def concrete(path: str, world: dict) -> str:
    resource = path.removeprefix("/api/v1/").split("/")[0]
    url = path.replace("{charge_point_id}", world["charge_point_id"]).replace("{id_tag}", world["id_tag"])
    url = url.replace("{profile_id}", str(world["profile_id"]))
    if "{pk}" in url:
        assert resource in world["pk"], f"the access test needs an object for {path}: add one to `world`"
        url = url.replace("{pk}", str(world["pk"][resource]))
    assert "{" not in url, f"the access test does not know the parameters of {path}: add them to `world`"
    return url


def snapshot() -> tuple:
    """What a write could change."""
    return (
        list(ChargePoint.objects.order_by("pk").values_list("charge_point_id", "registration_status", "auth_key_hash")),
        list(Command.objects.order_by("pk").values_list("pk", "action", "status")),
        CommandBatch.objects.count(),
        list(IdTag.objects.order_by("pk").values_list("id_tag", "status")),
        list(PeriodicTask.objects.order_by("pk").values_list("name", flat=True)),
        list(Webhook.objects.order_by("pk").values_list("url", "events", "active", "secret")),
        list(Site.objects.order_by("pk").values_list("name", "grid_limit_a", "grid_limit_kw")),
        list(get_user_model().objects.order_by("pk").values_list("username", flat=True)),
        list(ChargerModel.objects.order_by("pk").values_list("vendor", "model")),
        list(HostedFirmware.objects.order_by("pk").values_list("pk", flat=True)),
        list(FirmwareRollout.objects.order_by("pk").values_list("pk", "status")),
        BuildingReading.objects.count(),
    )


def expected_api_status(kind: str, method: str) -> str:
    if kind == "anonymous":
        return "401"
    if kind in ("customer", "staff"):
        return "403"
    if kind == "viewer":
        return "ok" if method in READ_METHODS else "403"
    return "ok"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("path", "method"), api_endpoints())
def test_every_api_endpoint_answers_each_kind_of_user_as_its_role_says(path, method, kind, world) -> None:
    user = make_user(kind)
    client = token_client(user)
    url = concrete(path, world)
    body = WRITE_BODIES.get((method, path), {})
    body = body(world) if callable(body) else body
    before = snapshot()

    if method in READ_METHODS:
        response = client.generic(method, url)
    elif (method, path) in MULTIPART_BODIES:
        response = client.post(url, MULTIPART_BODIES[(method, path)](), format="multipart")
    else:
        response = client.generic(method, url, json.dumps(body), content_type="application/json")

    if path in PUBLIC:
        assert response.status_code == 200, (path, kind)
        return
    expected = expected_api_status(kind, method)
    if expected == "ok":
        assert 200 <= response.status_code < 300, (method, url, kind, response.status_code, response.content[:300])
        if method not in READ_METHODS and ((method, path) in WRITE_BODIES or (method, path) in MULTIPART_BODIES):
            assert snapshot() != before, f"{method} {url} answered {response.status_code} and changed nothing"
    else:
        assert response.status_code == int(expected), (method, url, kind, response.status_code)
        assert snapshot() == before, f"{method} {url} was refused to {kind} but changed something"


# --- The admin --------------------------------------------------------------------------------------------


def admin_models() -> list[str]:
    return sorted(f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry)


def superuser_may_add(model_path: str) -> bool:
    """Some models are never added in the admin (commands go through the send-command form, logs are
    written by the chargers): for those the add page is refused to everyone."""
    app_label, model_name = model_path.split("/")
    model_admin = next(
        ma
        for m, ma in admin.site._registry.items()
        if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)
    )
    request = RequestFactory().get("/")
    request.user = get_user_model()(is_staff=True, is_superuser=True, is_active=True)
    return model_admin.has_add_permission(request)


def expected_admin(kind: str, page: str, may_add: bool) -> int | str:
    if kind in ("anonymous", "customer"):
        return "login"
    if kind == "staff":
        return 403
    if kind == "viewer":
        return 200 if page == "changelist" else 403
    return 200 if page == "changelist" or may_add else 403


@pytest.mark.parametrize("kind", KINDS)
def test_every_admin_list_and_add_page_answers_each_kind_of_user_as_its_role_says(client, kind, world) -> None:
    user = make_user(kind)
    if user is not None:
        client.force_login(user)
    wrong = []
    for model_path in admin_models():
        for page, suffix in (("changelist", ""), ("add", "add/")):
            response = client.get(f"/admin/{model_path}/{suffix}")
            expected = expected_admin(kind, page, superuser_may_add(model_path))
            if expected == "login":
                ok = response.status_code == 302 and "login" in response["Location"]
            else:
                ok = response.status_code == expected
            if not ok:
                wrong.append((model_path, page, response.status_code, expected))
    assert not wrong, wrong


SEND_COMMAND = "/admin/chargers/chargepoint/send-command/"


@pytest.mark.parametrize("kind", KINDS)
def test_the_send_command_page_is_only_for_those_who_may_send_commands(client, kind, world) -> None:
    user = make_user(kind)
    if user is not None:
        client.force_login(user)
    query = f"?ids={world['charger'].pk}&action=Reset"

    page = client.get(SEND_COMMAND + query)
    posted = client.post(SEND_COMMAND + query, {"type": "Hard"})

    queued = Command.objects.filter(action="Reset").count()
    if kind in ("anonymous", "customer"):
        assert page.status_code == posted.status_code == 302
        assert "login" in page["Location"] and "login" in posted["Location"]
        assert queued == 0
    elif kind in ("staff", "viewer"):
        assert (page.status_code, posted.status_code, queued) == (403, 403, 0)
    else:
        assert (page.status_code, posted.status_code, queued) == (200, 302, 1)


def test_a_viewer_is_offered_no_admin_action_and_cannot_post_a_form(client, world) -> None:
    viewer = make_user("viewer")
    client.force_login(viewer)
    request = RequestFactory().get("/admin/")
    request.user = viewer

    offered = {
        model._meta.label: sorted(name for name in model_admin.get_actions(request))
        for model, model_admin in admin.site._registry.items()
    }
    assert all(actions == [] for actions in offered.values()), offered

    charger = world["charger"]
    charger.registration_status = "Pending"
    charger.save()
    response = client.post(
        "/admin/chargers/chargepoint/", {"action": "accept", "_selected_action": [charger.pk], "index": 0}
    )
    assert response.status_code in (200, 302, 403)
    assert ChargePoint.objects.get(pk=charger.pk).registration_status == "Pending"
    tag = IdTag.objects.get(id_tag=TAG)
    response = client.post(f"/admin/rfid/idtag/{tag.pk}/change/", {"id_tag": TAG, "status": "Blocked", "note": ""})
    assert response.status_code == 403
    assert IdTag.objects.get(id_tag=TAG).status == "Accepted"


def test_the_viewers_group_exists_after_migrating() -> None:
    assert Group.objects.filter(name="viewers").exists()


@pytest.mark.parametrize("kind", ["viewer", "staff"])
def test_a_viewer_or_plain_staff_user_cannot_write_on_the_operator_pages(client, kind, world) -> None:
    client.force_login(make_user(kind))

    responses = [
        client.post("/chargers/models/new/", {"vendor": "Acme", "model": "X"}),
        client.post(f"/chargers/{CHARGER}/profile/", {"charger_model": "", "override": "on"}),
        client.post("/chargers/models/import/", {}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]


@pytest.mark.parametrize(("kind", "expected"), [("customer", 403), ("staff", 200), ("viewer", 200)])
def test_the_fleet_dashboard_is_for_operators_only(client, kind, expected, world) -> None:
    client.force_login(make_user(kind))
    assert client.get("/").status_code == expected
