"""Admin of webhooks: an operator adds one and is shown its secret once; bad values are form errors."""

import pytest

from tests.factories import OperatorFactory
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhook/add/"


def test_an_operator_adds_a_webhook_in_the_admin_and_sees_its_secret_once(client):
    client.force_login(OperatorFactory())

    response = client.post(
        ADD, {"url": "https://example.com/hook", "events": '["meter_values"]', "active": "on"}, follow=True
    )

    webhook = Webhook.objects.get()
    assert webhook.events == ["meter_values"] and webhook.owner.username.startswith("full-operator")
    assert webhook.secret in response.content.decode()
    change_page = client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.secret not in change_page


@pytest.mark.parametrize(
    ("field", "value"), [("url", "ftp://example.com/hook"), ("events", '["nope"]'), ("events", '"meter_values"')]
)
def test_bad_values_in_the_admin_are_form_errors(client, field, value):
    client.force_login(OperatorFactory())
    data = {"url": "https://example.com/hook", "events": '["meter_values"]', "active": "on", field: value}

    response = client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not Webhook.objects.exists()
