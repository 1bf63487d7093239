"""The external authorization callout (rfid/callout.py) against a real local HTTP server: it answers, it is slow,
it is down."""

import json
import time

import pytest
from django.core.cache import cache

from rfid.callout import callout_authorize
from rfid.services import id_tag_normalize
from tests.webhook_receiver import Receiver

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
