"""REST API: customer accounts (create, list) and a customer's id tags."""

import pytest
from django.contrib.auth import get_user_model

from portal.services import api_key_create
from tests.factories import IdTagFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/customers/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_a_customer_is_created_who_can_log_in_and_is_not_staff(operator, client):
    response = operator.post(
        LIST, {"username": "ana", "email": "ana@example.org", "password": "long-enough-pass-42"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["username"], body["email"], body["is_active"], body["id_tag_count"]) == (
        "ana",
        "ana@example.org",
        True,
        0,
    )
    assert "password" not in body
    ana = get_user_model().objects.get(username="ana")
    assert not ana.is_staff
    assert client.login(username="ana", password="long-enough-pass-42")


def test_customers_are_listed_without_operators_and_with_their_tags(operator):
    ana = UserFactory(username="ana")
    IdTagFactory(id_tag="AAA1", user=ana)
    IdTagFactory(id_tag="AAA2", user=ana)
    IdTagFactory(id_tag="OTHER")

    listed = operator.get(LIST).json()["results"]
    tags = operator.get(f"{LIST}{ana.pk}/id-tags/").json()

    assert [(c["username"], c["id_tag_count"]) for c in listed] == [("ana", 2)]
    assert [t["id_tag"] for t in tags] == ["AAA1", "AAA2"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ana", "password": "long-enough-pass-42"}, "username"),  # taken
        ({"username": "bob", "password": "123"}, "password"),
        ({"username": "bo b", "password": "long-enough-pass-42"}, "username"),
        ({"username": "bob", "email": "not-mail", "password": "long-enough-pass-42"}, "email"),
        ({"username": "bob"}, "password"),
    ],
)
def test_a_bad_customer_is_a_400_naming_the_field_and_creates_nobody(operator, body, field):
    UserFactory(username="ana")
    before = get_user_model().objects.count()

    response = operator.post(LIST, body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert get_user_model().objects.count() == before


def test_creating_customers_takes_the_admin_scope_and_customers_see_none():
    _, key = api_key_create(user=OperatorFactory(), name="reader", scopes=["read"])
    reader = token_client()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert reader.get(LIST).status_code == 200
    assert reader.post(LIST, {"username": "x", "password": "long-enough-pass-42"}, format="json").status_code == 403
    assert token_client(UserFactory()).get(LIST).status_code == 403
    assert token_client().get(LIST).status_code == 401
