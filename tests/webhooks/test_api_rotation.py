"""REST API: a webhook's secret is rotated by a POST that shows the new one once; what is delivered from then on
is signed with it, deliveries that were already waiting included."""

import pytest

from portal.services import api_key_create
from tests.factories import OperatorFactory, token_client
from tests.webhook_receiver import Receiver
from webhooks import services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def _rotate_url(webhook) -> str:
    return f"/api/v1/webhooks/{webhook.pk}/rotate-secret/"


def test_rotating_returns_a_new_secret_once(operator):
    webhook, old = services.webhook_create(owner=OperatorFactory(), url="http://127.0.0.1:9/", events=["meter_values"])

    response = operator.post(_rotate_url(webhook))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new = response.json()["secret"]
    assert len(new) == 64 and new != old
    assert "secret" not in operator.get(f"/api/v1/webhooks/{webhook.pk}/").json()
    assert operator.post("/api/v1/webhooks/999999/rotate-secret/").status_code == 404


def test_a_delivery_waiting_since_before_the_rotation_is_signed_with_the_new_secret(operator, monkeypatch, settings):
    settings.WEBHOOK_TIMEOUT_S = 2.0
    monkeypatch.setattr(services, "deliveries_enqueue", lambda **kwargs: None)  # no broker: attempted below
    with Receiver() as receiver:
        webhook, old = services.webhook_create(owner=OperatorFactory(), url=receiver.url, events=["meter_values"])
        services.deliveries_create(
            envelopes=[{"event": "meter_values", "id": "e-1", "created": "2026-11-24T10:00:00Z", "data": {}}]
        )
        waiting = Delivery.objects.get()

        new = operator.post(_rotate_url(webhook)).json()["secret"]
        services.deliveries_attempt(delivery_ids=[waiting.pk])
        (received,) = receiver.received

    assert received.signed_with(new)
    assert not received.signed_with(old)


def test_rotating_takes_the_admin_scope():
    webhook, _ = services.webhook_create(owner=OperatorFactory(), url="http://127.0.0.1:9/", events=["meter_values"])
    _, key = api_key_create(user=OperatorFactory(), name="reader", scopes=["read", "commands", "tags"])
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.post(_rotate_url(webhook)).status_code == 403
