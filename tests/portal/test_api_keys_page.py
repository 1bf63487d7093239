"""The API keys page: each user lists, makes and revokes their own keys; operators allowed to see keys see all."""

import pytest
from django.contrib.auth.models import Group, Permission

from portal.models import ApiKey
from portal.roles import VIEWERS_GROUP
from portal.services import api_key_create
from tests.factories import OperatorFactory, StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

PAGE = "/account/api-keys/"


def _revoke_url(api_key: ApiKey) -> str:
    return f"{PAGE}{api_key.pk}/revoke/"


def test_a_user_sees_only_their_own_keys_and_revokes_one_which_then_opens_nothing(client):
    staff = StaffUserFactory(username="integrator")
    staff.user_permissions.add(Permission.objects.get(codename="view_chargepoint"))
    mine, key = api_key_create(user=staff, name="billing")
    theirs, _ = api_key_create(user=UserFactory(), name="someone-else")
    client.force_login(staff)

    page = client.get(PAGE).content.decode()

    assert mine.prefix in page and "billing" in page
    assert theirs.prefix not in page
    assert token_client().get("/api/v1/chargers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.post(_revoke_url(mine)).status_code == 302
    assert token_client().get("/api/v1/chargers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert "revoked" in client.get(PAGE).content.decode()


def test_nobody_revokes_a_key_they_may_not_see(client):
    theirs, _ = api_key_create(user=UserFactory(), name="someone-else")
    client.force_login(StaffUserFactory())

    assert client.post(_revoke_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_operator_with_the_key_permissions_sees_and_revokes_everyones(client):
    theirs, _ = api_key_create(user=UserFactory(username="ana"), name="ana-app")
    client.force_login(OperatorFactory())

    page = client.get(PAGE).content.decode()
    revoked = client.post(_revoke_url(theirs))

    assert "ana" in page and theirs.prefix in page
    assert revoked.status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None


def test_a_viewer_sees_all_keys_but_revokes_only_their_own(client):
    viewer = OperatorFactory()
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    theirs, _ = api_key_create(user=UserFactory(), name="other")
    client.force_login(viewer)

    assert theirs.prefix in client.get(PAGE).content.decode()
    assert client.post(_revoke_url(theirs)).status_code == 404


def test_an_operator_makes_a_key_shown_once_with_the_scopes_chosen(client):
    operator = OperatorFactory()
    client.force_login(operator)

    made = client.post(PAGE, {"name": "energy-manager", "scopes": ["read", "commands"]})

    assert made.status_code == 200
    assert made["Cache-Control"].startswith("max-age=0")
    key = made.context["created"]["key"]
    assert key in made.content.decode()
    api_key = ApiKey.objects.get(user=operator, name="energy-manager")
    assert api_key.scopes == ["read", "commands"]
    assert key not in client.get(PAGE).content.decode()


def test_a_key_without_scopes_is_refused_and_the_anonymous_go_to_login(client):
    client.force_login(OperatorFactory())

    refused = client.post(PAGE, {"name": "nothing"})
    client.logout()

    assert refused.status_code == 400
    assert not ApiKey.objects.filter(name="nothing").exists()
    assert client.get(PAGE).url.startswith("/accounts/login/")
