"""REST API: /api/v1/webhooks/ (operators create, read, change and delete subscriptions) and their deliveries."""

import pytest
from django.contrib.auth.models import Group, Permission

from alerts.events import EVENT_TYPES as ALERT_EVENTS
from chargers.events import EVENT_TYPES as CHARGER_EVENTS
from tests.factories import OperatorFactory, StaffUserFactory, UserFactory, token_client
from transactions.events import EVENT_TYPES as TRANSACTION_EVENTS
from webhooks.models import EVENT_NAMES, Delivery, DeliveryState, Webhook
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/"
URL = "https://billing.example.com/hooks/portal"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_the_events_offered_are_the_names_of_the_event_classes_and_those_of_the_interface():
    assert set(EVENT_NAMES) == {event.name for event in (*CHARGER_EVENTS, *TRANSACTION_EVENTS, *ALERT_EVENTS)}
    assert set(EVENT_NAMES) == {
        "charger.online",
        "charger.offline",
        "charger.status",
        "transaction.started",
        "transaction.stopped",
        "meter_values",
        "command.finished",
        "alert.raised",
    }


def test_the_secret_is_shown_once_at_creation(operator):
    created = operator.post(LIST, {"url": URL, "events": ["transaction.started"]}, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert len(body["secret"]) >= 32
    assert body["events"] == ["transaction.started"] and body["active"] is True
    assert body["owner"].startswith("full-operator")
    assert Webhook.objects.get(pk=body["id"]).secret == body["secret"]
    shown = operator.get(f"{LIST}{body['id']}/").json()
    assert "secret" not in shown and body["secret"] not in str(shown)
    assert body["secret"] not in str(operator.get(LIST).json())


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "gopher://x.example/", "not a url"]
)
def test_a_url_that_is_not_http_or_https_is_refused(operator, url):
    response = operator.post(LIST, {"url": url, "events": ["transaction.started"]}, format="json")

    assert response.status_code == 400
    assert "url" in response.json()
    assert not Webhook.objects.exists()


def test_a_url_is_refused_on_change_too(operator):
    webhook, _ = webhook_create(owner=OperatorFactory(), url=URL, events=["meter_values"])

    response = operator.patch(f"{LIST}{webhook.pk}/", {"url": "ftp://example.com/"}, format="json")

    assert response.status_code == 400 and "url" in response.json()
    webhook.refresh_from_db()
    assert webhook.url == URL


@pytest.mark.parametrize("events", [[], ["transaction.paid"], "transaction.started", None])
def test_events_must_be_a_list_of_known_names(operator, events):
    response = operator.post(LIST, {"url": URL, "events": events}, format="json")

    assert response.status_code == 400
    assert "events" in response.json()


def test_an_event_named_twice_is_subscribed_once(operator):
    response = operator.post(LIST, {"url": URL, "events": ["meter_values", "meter_values"]}, format="json")

    assert response.status_code == 201
    assert response.json()["events"] == ["meter_values"]


def test_an_operator_pauses_changes_and_deletes_a_webhook(operator):
    webhook, secret = webhook_create(owner=OperatorFactory(), url=URL, events=["meter_values"])

    paused = operator.patch(f"{LIST}{webhook.pk}/", {"active": False, "events": ["charger.online"]}, format="json")
    assert paused.status_code == 200, paused.content
    assert (paused.json()["active"], paused.json()["events"]) == (False, ["charger.online"])
    webhook.refresh_from_db()
    assert webhook.secret == secret  # a change does not touch the secret

    assert operator.delete(f"{LIST}{webhook.pk}/").status_code == 204
    assert not Webhook.objects.exists()


def test_deliveries_are_listed_newest_first_and_filtered(operator):
    webhook, _ = webhook_create(owner=OperatorFactory(), url=URL, events=["meter_values"])
    for attempt, state in ((1, DeliveryState.FAILED), (2, DeliveryState.SUCCEEDED)):
        Delivery.objects.create(
            webhook=webhook, event_id="e1", event_name="meter_values", body="{}", attempt=attempt, state=state
        )

    listed = operator.get(f"{LIST}{webhook.pk}/deliveries/")
    failed = operator.get(f"{LIST}{webhook.pk}/deliveries/", {"state": "failed"})

    assert listed.status_code == 200
    assert [d["attempt"] for d in listed.json()["results"]] == [2, 1]
    assert [d["attempt"] for d in failed.json()["results"]] == [1]
    assert operator.get(f"{LIST}{webhook.pk + 1}/deliveries/").status_code == 404


def viewer():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get_or_create(name="viewers")[0])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def test_a_viewer_reads_webhooks_but_creates_none_and_customers_see_nothing():
    webhook_create(owner=OperatorFactory(), url=URL, events=["meter_values"])
    body = {"url": URL, "events": ["meter_values"]}

    assert token_client(viewer()).get(LIST).status_code == 200
    assert token_client(viewer()).post(LIST, body, format="json").status_code == 403
    assert token_client(UserFactory()).get(LIST).status_code == 403
    assert token_client().get(LIST).status_code == 401
    assert Webhook.objects.count() == 1
