"""`manage.py api_token <username>`: a new key, shown once, stored as a hash."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.models import ApiKey
from portal.services import api_key_hash
from tests.factories import OperatorFactory, StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


def api_token(username: str, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", username, *options, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_a_key_that_opens_the_api():
    OperatorFactory(username="ops")

    key, warnings = api_token("ops")

    assert len(key) == 40
    assert warnings == ""
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/chargers/").status_code == 200


def test_only_a_hash_and_a_short_prefix_of_the_key_are_stored():
    user = OperatorFactory(username="ops")

    key, _ = api_token("ops")

    stored = ApiKey.objects.get(user=user)
    assert stored.key_hash == api_key_hash(key=key) != key
    assert stored.prefix == key[:8]
    assert key not in [str(value) for value in ApiKey.objects.values_list().get()]


def test_a_new_key_replaces_the_previous_one():
    user = OperatorFactory(username="ops")
    old, _ = api_token("ops")

    new, _ = api_token("ops")

    assert new != old
    assert list(ApiKey.objects.filter(user=user, revoked_at__isnull=True).values_list("prefix", flat=True)) == [new[:8]]
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.get("/api/v1/chargers/").status_code == 401


def test_keys_of_other_names_stay_valid():
    OperatorFactory(username="ops")
    billing, _ = api_token("ops", "--name", "billing")

    api_token("ops")

    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {billing}")
    assert client.get("/api/v1/chargers/").status_code == 200


def test_an_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        api_token("ghost")
    assert not ApiKey.objects.exists()


def test_a_key_for_a_non_staff_user_comes_with_a_warning():
    UserFactory(username="customer")

    key, warnings = api_token("customer")

    assert key
    assert "not staff" in warnings


def test_a_key_for_a_staff_user_without_permissions_comes_with_a_warning():
    StaffUserFactory(username="nobody")

    key, warnings = api_token("nobody")

    assert key
    assert "no permissions" in warnings
