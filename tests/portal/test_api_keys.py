"""API keys are never readable after creation: only a hash is stored, the admin lists prefixes and revokes."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.models import ApiKey
from tests.factories import OperatorFactory, StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


def api_token(username: str) -> str:
    out = StringIO()
    call_command("api_token", username, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def key_client(key: str):
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_view_only_staff_user_reads_no_key_anywhere_in_the_admin(client) -> None:
    get_user_model().objects.create_superuser("root", "root@example.com", "a-long-password-1")
    secret = api_token("root")
    viewer = StaffUserFactory()
    viewer.groups.add(Group.objects.get_or_create(name="viewers")[0])
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)

    pages = ["/admin/authtoken/tokenproxy/", "/admin/authtoken/token/"]
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages.append(base)
        pages += [f"{base}{pk}/change/" for pk in model_admin.get_queryset(None).values_list("pk", flat=True)[:5]]
    leaks = []
    for page in pages:
        response = client.get(page)
        if secret in response.content.decode(errors="replace"):
            leaks.append(page)

    assert not leaks
    assert secret[:8] in client.get("/admin/portal/apikey/").content.decode()


def test_an_operator_revokes_a_key_in_the_admin_and_it_stops_working(client) -> None:
    owner = OperatorFactory(username="integrator")
    key = api_token("integrator")
    assert key_client(key).get("/api/v1/chargers/").status_code == 200
    client.force_login(OperatorFactory())

    response = client.post(
        "/admin/portal/apikey/",
        {"action": "revoke", "_selected_action": [ApiKey.objects.get(user=owner).pk], "index": 0},
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(user=owner).revoked_at is not None
    assert key_client(key).get("/api/v1/chargers/").status_code == 401


def test_the_admin_cannot_add_or_edit_a_key(client) -> None:
    OperatorFactory(username="integrator")
    api_token("integrator")
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "a-long-password-1"))
    stored = ApiKey.objects.get()

    assert client.get("/admin/portal/apikey/add/").status_code == 403
    page = client.get(f"/admin/portal/apikey/{stored.pk}/change/").content.decode()
    assert stored.key_hash not in page
    assert 'name="name"' not in page  # read-only


def test_use_of_a_key_is_recorded_at_most_once_a_minute() -> None:
    OperatorFactory(username="integrator")
    client = key_client(api_token("integrator"))

    client.get("/api/v1/chargers/")
    first = ApiKey.objects.get().last_used_at
    client.get("/api/v1/chargers/")
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/chargers/")

    assert first is not None
    assert ApiKey.objects.get().last_used_at > first


def test_a_key_of_an_inactive_user_is_refused() -> None:
    OperatorFactory(username="integrator", is_active=False)
    assert key_client(api_token("integrator")).get("/api/v1/chargers/").status_code == 401


def test_a_customers_key_opens_nothing_of_the_operator_api() -> None:
    UserFactory(username="customer")
    assert key_client(api_token("customer")).get("/api/v1/chargers/").status_code == 403


def test_drf_tokens_become_hashed_api_keys_and_their_table_is_dropped() -> None:
    """An installation that ran the old code keeps its integrators' keys working."""
    integrator = OperatorFactory(username="integrator")
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone NOT NULL, "
            "user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [legacy_key, timezone.now(), integrator.pk],
        )
    migration = importlib.import_module("portal.migrations.0002_drf_tokens_to_api_keys")

    with connection.schema_editor() as schema_editor:
        migration.tokens_to_api_keys(apps, schema_editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    stored = ApiKey.objects.get(user=integrator)
    assert (stored.prefix, stored.name) == (legacy_key[:8], "default")
    assert legacy_key not in stored.key_hash
    assert key_client(legacy_key).get("/api/v1/chargers/").status_code == 200
