"""`manage.py api_token <username>`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from tests.factories import StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


def api_token(username: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", username, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_a_key_that_opens_the_api():
    StaffUserFactory(username="ops")

    key, warnings = api_token("ops")

    assert len(key) == 40
    assert warnings == ""
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/chargers/").status_code == 200


def test_a_new_key_replaces_the_previous_one():
    user = StaffUserFactory(username="ops")
    old, _ = api_token("ops")

    new, _ = api_token("ops")

    assert new != old
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [new]
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get("/api/v1/chargers/").status_code == 401


def test_an_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        api_token("ghost")
    assert not Token.objects.exists()


def test_a_key_for_a_non_staff_user_comes_with_a_warning():
    UserFactory(username="customer")

    key, warnings = api_token("customer")

    assert key
    assert "not staff" in warnings
