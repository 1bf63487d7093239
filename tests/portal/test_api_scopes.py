"""API key scopes (read, commands, tags, admin) and per-key throttling; browser sessions are unaffected."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chargers.models import Command
from chargers.services import charge_point_register
from portal.models import ApiKey, ApiScope
from portal.services import api_key_create
from rfid.models import IdTag
from tests.factories import OperatorFactory, token_client

pytestmark = pytest.mark.django_db

CHARGER = "CP-SCOPES"


@pytest.fixture
def charger():
    return charge_point_register(charge_point_id=CHARGER, auth_key="scopes-key-scopes-key-01")


def key_client(*scopes: str, user=None):
    """A client whose key has only `scopes`."""
    # A name of its own: a user's new key of the same name would revoke the previous one.
    _, key = api_key_create(user=user or OperatorFactory(), name=f"scoped-{uuid.uuid4()}", scopes=list(scopes))
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# One request per scope: what it needs, and what answers when it is let through.
REQUESTS = {
    "read": ("get", "/api/v1/chargers/", None, 200),
    "commands": ("post", f"/api/v1/chargers/{CHARGER}/commands/", {"action": "ClearCache", "payload": {}}, 202),
    "tags": ("post", "/api/v1/id-tags/", {"id_tag": "SCOPE01"}, 201),
    "admin": ("post", "/api/v1/chargers/", {"charge_point_id": "CP-SCOPED-NEW"}, 201),
}


def send(client, scope: str):
    method, url, body, _ = REQUESTS[scope]
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("granted", [s.value for s in ApiScope])
@pytest.mark.parametrize("needed", [s.value for s in ApiScope])
def test_a_key_does_what_its_scopes_allow_and_gets_a_json_403_for_the_rest(charger, granted, needed):
    client = key_client(granted)

    response = send(client, needed)

    if granted == needed:
        assert response.status_code == REQUESTS[needed][3], response.content
    else:
        assert response.status_code == 403, response.content
        assert response["Content-Type"] == "application/json"
        assert f"'{needed}'" in response.json()["detail"]


def test_nothing_is_written_when_a_scope_is_missing(charger):
    client = key_client(ApiScope.READ)

    for scope in ("commands", "tags", "admin"):
        assert send(client, scope).status_code == 403
    assert not Command.objects.exists()
    assert not IdTag.objects.exists()


def test_webhooks_cancels_and_deletes_need_their_scopes(charger):
    command = Command.objects.create(charge_point=charger, action="ClearCache", payload={})
    IdTag.objects.create(id_tag="SCOPE02")
    commands_only, tags_only = key_client(ApiScope.COMMANDS), key_client(ApiScope.TAGS)
    webhook = {"url": "https://example.com/hook", "events": ["meter_values"]}

    assert commands_only.post("/api/v1/webhooks/", webhook, format="json").status_code == 403
    assert tags_only.post("/api/v1/webhooks/", webhook, format="json").status_code == 403
    assert tags_only.post(f"/api/v1/commands/{command.pk}/cancel/").status_code == 403
    assert commands_only.delete("/api/v1/id-tags/SCOPE02/").status_code == 403
    assert commands_only.post(f"/api/v1/commands/{command.pk}/cancel/").status_code == 200
    assert tags_only.delete("/api/v1/id-tags/SCOPE02/").status_code == 204


def test_a_browser_session_is_not_limited_by_scopes(client, charger):
    client.force_login(OperatorFactory())

    response = client.post(
        f"/api/v1/chargers/{CHARGER}/commands/",
        {"action": "ClearCache", "payload": {}},
        content_type="application/json",
    )

    assert response.status_code == 202


def test_a_key_made_without_scopes_has_them_all():
    api_key, _ = api_key_create(user=OperatorFactory())

    assert sorted(api_key.scopes) == sorted(s.value for s in ApiScope)


def api_token(*args: str) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_the_command_makes_a_key_with_the_scopes_named(charger):
    OperatorFactory(username="integrator")

    key = api_token("integrator", "--scopes", "read, tags")

    assert ApiKey.objects.get(prefix=key[:8]).scopes == ["read", "tags"]
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert send(client, "read").status_code == 200
    assert send(client, "commands").status_code == 403


@pytest.mark.parametrize("scopes", ["read,everything", "", " , "])
def test_the_command_refuses_unknown_or_no_scopes(scopes):
    OperatorFactory(username="integrator")

    with pytest.raises(CommandError, match="scope"):
        api_token("integrator", "--scopes", scopes)
    assert not ApiKey.objects.exists()


def test_each_key_is_throttled_on_its_own_with_a_json_429_and_retry_after(settings):
    settings.API_KEY_THROTTLE_RATE = "3/minute"
    user = OperatorFactory()
    busy, other = key_client("read", user=user), key_client("read", user=user)

    answers = [busy.get("/api/v1/chargers/").status_code for _ in range(4)]
    throttled = busy.get("/api/v1/chargers/")

    assert answers == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == "application/json"
    assert "throttled" in throttled.json()["detail"]
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert other.get("/api/v1/chargers/").status_code == 200


def test_a_browser_session_is_not_throttled_per_key(client, settings):
    settings.API_KEY_THROTTLE_RATE = "1/minute"
    client.force_login(OperatorFactory())

    assert [client.get("/api/v1/chargers/").status_code for _ in range(3)] == [200, 200, 200]
