"""Generated OCPP frames at a real daphne over a real websocket (issue 15, item 5): any JSON and frames one defect
away from valid, for every action the portal handles (tests/ocpp_strategies.py derives them from HANDLERS and
the OCA schemas). Each frame gets the answer OCPP-J 1.6 prescribes (a CALLRESULT when valid, a CALLERROR naming
its defect otherwise, nothing for a stray reply), the socket stays open, and a Heartbeat sent right after is
answered. The server logs no traceback.

Examples are bounded and derandomized (CI runs the same frames every time); HYPOTHESIS_EXAMPLES=2000 explores
further with the same tests.
"""

import asyncio
import itertools
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargers.ocpp.messages import ErrorCode
from chargers.ocpp.schemas import request_schema
from tests.conftest import PortalServer, start_portal
from tests.ocpp_strategies import ACTIONS, Case, any_frame, near_valid_call, valid_object
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "0"))
BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,  # nothing remembered between runs: the same frames every time
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# A charger time the portal keeps as sent (in the past, after 2000).
PLAUSIBLE = "2026-01-02T03:04:05Z"
# Codes a schema check may give a CALL that reaches its action (the JSON-anything property cannot say which).
SCHEMA_CODES = ErrorCode.ALL - {ErrorCode.INTERNAL_ERROR, ErrorCode.GENERIC_ERROR}


@pytest.fixture(scope="module")
def generated_portal(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[PortalServer, Path]]:
    """One daphne for the module, which accepts unknown chargers; its log is read at the end of each test."""
    log = tmp_path_factory.mktemp("generated") / "daphne"
    server = start_portal(log=log, OCPP_REGISTRATION="accept")
    yield server, log.with_suffix(".err")
    server.stop()


class Probe:
    """A booted charger on an event loop of its own, so that Hypothesis (which calls a plain function per example)
    can send a frame and read what answered it."""

    def __init__(self, server: PortalServer) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim = SimulatedCharger(server.ocpp_url, f"GEN-{uuid.uuid4().hex[:10]}")
        self.probes = itertools.count()
        self.connects = 0

    def __enter__(self) -> "Probe":
        self.loop.run_until_complete(self.sim.connect())
        assert self.loop.run_until_complete(self.sim.boot())["status"] == "Accepted"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self.sim.close())
        self.loop.close()

    def exchange(self, *texts: str) -> list[list]:
        """Send the frames, then a Heartbeat; the frames that came before the Heartbeat's answer answer them (a
        session answers its frames in order). The Heartbeat must be answered: the connection still works."""
        return self.loop.run_until_complete(self._exchange(texts))

    async def _exchange(self, texts: tuple[str, ...]) -> list[list]:
        self.sim.unmatched.clear()
        for text in texts:
            await self.sim.ws.send(text)
        probe = f"probe-{next(self.probes)}"
        heartbeat = await self.sim.send_frame(json.dumps([2, probe, "Heartbeat", {}]), probe, timeout=15)
        assert heartbeat[0] == 3 and "currentTime" in heartbeat[2], heartbeat
        assert not self.sim.closed.is_set()
        return list(self.sim.unmatched)


def assert_answered(case: Case, answers: list[list]) -> None:
    context = f"{case.why}: sent {case.text[:300]!r}, got {answers!r}"[:2000]
    if case.expected is None:
        assert answers == [], context
        return
    assert len(answers) == 1, context
    (answer,) = answers
    assert answer[1] == case.unique_id, context
    if case.expected == "result":
        assert answer[0] == 3, context
        return
    assert answer[0] == 4, context
    if case.expected == "schema":
        assert answer[2] in SCHEMA_CODES | {"result"}, context
    else:
        assert answer[2] == case.expected, context
    assert answer[3], context  # a description that says what is wrong


def assert_no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-5000:]
    assert " ERROR " not in text and " CRITICAL " not in text, text[-5000:]


def test_any_json_or_text_gets_the_answer_the_spec_prescribes_and_the_socket_stays(generated_portal) -> None:
    server, log = generated_portal
    with Probe(server) as probe:

        @settings(BOUNDED, max_examples=EXAMPLES or 150)
        @given(any_frame())
        def check(case: Case) -> None:
            answers = probe.exchange(case.text)
            if case.expected == "schema" and answers and answers[0][0] == 3:
                return  # by chance a valid CALL: answered with a CALLRESULT
            assert_answered(case, answers)

        check()
    assert_no_traceback(log)


@pytest.mark.parametrize("action", ACTIONS)
def test_a_call_one_defect_from_valid_gets_the_1_6_code_of_its_defect_and_a_valid_one_a_result(
    generated_portal, action: str
) -> None:
    server, log = generated_portal
    with Probe(server) as probe:

        @settings(BOUNDED, max_examples=EXAMPLES or 25)
        @given(near_valid_call(action))
        def check(case: Case) -> None:
            assert_answered(case, probe.exchange(case.text))

        check()
    assert_no_traceback(log)


def test_a_valid_call_sent_twice_with_the_same_unique_id_is_answered_twice(generated_portal) -> None:
    """Unique ids are unique only within a connection, and a charger that missed an answer sends the same frame
    again: both are answered, and a repeated StartTransaction gets the transaction id of the first."""
    server, log = generated_portal
    with Probe(server) as probe:

        @settings(BOUNDED, max_examples=EXAMPLES or 30)
        @given(st.sampled_from(ACTIONS).flatmap(lambda action: st.tuples(st.just(action), valid_of(action))))
        def check(call: tuple[str, dict]) -> None:
            action, payload = call
            if "timestamp" in payload:
                payload["timestamp"] = PLAUSIBLE  # a charger time the portal keeps (see the next test)
            text = json.dumps([2, "same-id", action, payload])
            answers = probe.exchange(text, text)
            assert [(kind, unique_id) for kind, unique_id, *_ in answers] == [(3, "same-id")] * 2, answers
            if action == "StartTransaction":
                assert answers[0][2]["transactionId"] == answers[1][2]["transactionId"], answers

        check()
    assert_no_traceback(log)


def test_a_start_resent_by_a_charger_whose_clock_restarted_at_1970_is_the_same_transaction(generated_portal) -> None:
    server, _ = generated_portal
    with Probe(server) as probe:
        payload = {"connectorId": 1, "idTag": "CLOCK1970", "meterStart": 5, "timestamp": "1970-01-01T00:00:07Z"}
        first, second = (probe.exchange(json.dumps([2, f"s{n}", "StartTransaction", payload]))[0] for n in (1, 2))
    assert first[2]["transactionId"] == second[2]["transactionId"]


def valid_of(action: str) -> st.SearchStrategy:
    return valid_object(request_schema(action))
