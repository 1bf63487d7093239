"""The external authorization callout (rfid/callout.py) against a real local HTTP server: it answers, it is slow,
it is down."""

import asyncio
import json
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from chargers.ocpp import handlers
from rfid.callout import callout_authorize
from rfid.services import id_tag_normalize
from tests.factories import ChargePointFactory
from tests.webhook_receiver import Receiver
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

SECRET = "callout-secret"


@pytest.fixture
def callout(settings):
    """The callout on, with a short timeout; each test asks about a tag nobody cached before."""
    settings.RFID_CALLOUT_SECRET = SECRET
    settings.RFID_CALLOUT_TIMEOUT_S = 0.5
    settings.RFID_CALLOUT_CACHE_S = 60
    settings.RFID_CALLOUT_FALLBACK = "Invalid"
    tag = f"CA{time.monotonic_ns() % 10**12:012d}"
    yield settings, tag
    cache.delete(f"rfid:callout:{id_tag_normalize(raw=tag)}")


def test_the_integrator_s_answer_is_given_signed_request_and_cached(callout) -> None:
    settings, tag = callout
    answer = json.dumps({"status": "Accepted", "parentIdTag": "ROAMING", "expiryDate": "2099-01-01T00:00:00Z"})
    with Receiver(body=answer.encode()) as receiver:
        settings.RFID_CALLOUT_URL = receiver.url
        first = callout_authorize(raw=tag, charge_point_id="CP-1", action="Authorize", connector_id=None)
        again = callout_authorize(raw=tag, charge_point_id="CP-1", action="StartTransaction", connector_id=1)
    assert (first.status, first.parent_id_tag) == ("Accepted", "ROAMING")
    assert again == first
    assert len(receiver.received) == 1, "the second presentation came from the cache"
    request = receiver.received[0]
    assert request.signed_with(SECRET)
    assert request.envelope == {"idTag": tag, "chargePointId": "CP-1", "connectorId": None, "action": "Authorize"}


def test_a_slow_integrator_gives_the_fallback_within_the_timeout_and_is_asked_again(callout) -> None:
    settings, tag = callout
    settings.RFID_CALLOUT_FALLBACK = "Accepted"
    with Receiver(delay_s=1.0, body=b'{"status": "Blocked"}') as receiver:
        settings.RFID_CALLOUT_URL = receiver.url
        started = time.monotonic()
        answer = callout_authorize(raw=tag, charge_point_id="CP-1", action="Authorize")
        waited = time.monotonic() - started
    assert answer.status == "Accepted"
    assert waited < 1.5
    assert cache.get(f"rfid:callout:{tag}") is None, "a fallback is not cached"


def test_an_integrator_that_is_down_or_answers_nonsense_gives_the_fallback(callout) -> None:
    settings, tag = callout
    down = Receiver()  # bound, never listening: the connection is refused
    settings.RFID_CALLOUT_URL = down.url
    try:
        assert callout_authorize(raw=tag, charge_point_id="CP-1", action="Authorize").status == "Invalid"
    finally:
        down.stop()
    for status, body in ((500, b'{"status": "Accepted"}'), (200, b'{"status": "Maybe"}'), (200, b"<html>")):
        with Receiver(statuses=(status,), body=body) as receiver:
            settings.RFID_CALLOUT_URL = receiver.url
            assert callout_authorize(raw=tag, charge_point_id="CP-1", action="Authorize").status == "Invalid"


class Session:
    """What the handlers need of a session: plain attributes, no transport."""

    def __init__(self, charge_point) -> None:
        self.charge_point_pk = charge_point.pk
        self.charge_point_ident = charge_point.charge_point_id
        self.registration_status = "Accepted"
        self.problems: list[str] = []
        self.received_at = timezone.now()
        self.profile_traits = None


@pytest.mark.django_db(transaction=True)
def test_a_tag_the_portal_does_not_know_starts_a_session_on_the_integrator_s_word(callout) -> None:
    settings, tag = callout
    charger = ChargePointFactory()
    with Receiver(body=b'{"status": "Accepted", "parentIdTag": "ROAMING"}') as receiver:
        settings.RFID_CALLOUT_URL = receiver.url
        started = asyncio.run(
            handlers.start_transaction(
                Session(charger), {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": "2026-12-01T03:00:00Z"}
            )
        )
        known = asyncio.run(handlers.authorize(Session(charger), {"idTag": "ALSOUNKNOWN"}))
    assert started["idTagInfo"]["status"] == "Accepted"
    assert started["idTagInfo"]["parentIdTag"] == "ROAMING"
    assert Transaction.objects.get(pk=started["transactionId"]).id_tag_status == "Accepted"
    assert [r.envelope["action"] for r in receiver.received] == ["StartTransaction", "Authorize"]
    assert known["idTagInfo"]["status"] == "Accepted", "the receiver answers every tag alike"
    cache.delete("rfid:callout:ALSOUNKNOWN")
