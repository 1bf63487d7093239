"""Writes that race each other through a real daphne: the loser gets a 400 naming the field, never a 500."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from rfid.models import IdTag
from tests.factories import OperatorFactory, api_key_for

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 10
RACERS = 6


def post_json(url: str, key: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw[:200].decode(errors="replace")}


def test_concurrent_creations_of_one_id_tag_store_it_once_and_refuse_the_others_naming_the_field(portal) -> None:
    key = api_key_for(OperatorFactory())
    url = f"{portal.http_url}/api/v1/id-tags/"
    answers: list[tuple[str, int, dict]] = []

    for round_ in range(ROUNDS):
        tag = f"RACE{round_:04d}"
        start = threading.Barrier(RACERS)

        def racer(tag: str = tag, start: threading.Barrier = start) -> None:
            start.wait()
            status, body = post_json(url, key, {"id_tag": tag})
            answers.append((tag, status, body))

        threads = [threading.Thread(target=racer) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert len(answers) == ROUNDS * RACERS
    for round_ in range(ROUNDS):
        tag = f"RACE{round_:04d}"
        statuses = sorted(status for t, status, _ in answers if t == tag)
        assert statuses == [201] + [400] * (RACERS - 1), (tag, [a for a in answers if a[0] == tag])
    refusals = [body for _, status, body in answers if status == 400]
    assert all(list(body) == ["id_tag"] and "already exists" in body["id_tag"][0] for body in refusals), refusals
    assert IdTag.objects.filter(id_tag__startswith="RACE").count() == ROUNDS
