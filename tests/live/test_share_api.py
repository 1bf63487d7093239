"""POST /api/v1/transactions/<id>/share/: operators make a signed, expiring link of one session."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.roles import VIEWERS_GROUP
from tests.factories import TransactionFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


def staff(*codenames: str, viewer: bool = False):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    if viewer:
        user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    return user


def test_an_operator_gets_a_link_that_opens_the_session_for_a_day(client, settings) -> None:
    settings.PUBLIC_URL = ""
    session = TransactionFactory()
    response = token_client(staff("view_transaction")).post(f"/api/v1/transactions/{session.pk}/share/")
    assert response.status_code == 201
    body = response.json()
    assert body["url"].startswith("http://testserver/live/") and body["url"].endswith("/")
    expires = parse_datetime(body["expires_at"])
    assert abs(expires - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)
    path = body["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    qr = client.get(f"{path}qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_the_link_is_under_public_url_when_one_is_set(settings) -> None:
    settings.PUBLIC_URL = "https://portal.example.com"
    session = TransactionFactory()
    body = token_client(staff("view_transaction")).post(f"/api/v1/transactions/{session.pk}/share/").json()
    assert body["url"].startswith("https://portal.example.com/live/")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 401), ("customer", 403), ("staff without view", 403), ("viewer", 403)],
)
def test_who_may_share(who: str, expected: int) -> None:
    session = TransactionFactory()
    user = {
        "anonymous": None,
        "customer": UserFactory(),
        "staff without view": staff("view_chargepoint"),
        "viewer": staff("view_transaction", viewer=True),
    }[who]
    assert token_client(user).post(f"/api/v1/transactions/{session.pk}/share/").status_code == expected


def test_an_unknown_transaction_cannot_be_shared() -> None:
    response = token_client(staff("view_transaction")).post("/api/v1/transactions/987654/share/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_changed_token_has_no_qr_code(client) -> None:
    assert client.get("/live/not-a-token/qr.svg").status_code == 404
