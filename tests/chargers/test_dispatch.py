"""The transport-neutral dispatch (chargers/ocpp/dispatch.py): (session, action, payload) in, the answer or the
OCPP error out, with the message-log entries, and no socket or JSON text anywhere on the way."""

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chargers.models import Direction, RegistrationStatus
from chargers.ocpp import dispatch as dispatch_module
from chargers.ocpp import handlers, logbook
from chargers.ocpp.dispatch import INTERNAL_ERROR_DESCRIPTION, dispatch
from chargers.ocpp.messages import CALL, CALLERROR, CALLRESULT, ErrorCode, OcppError
from tests.imports import imports_of

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Session:
    """A session as a second transport would make one: plain attributes, no connection."""

    def __init__(self, registration_status: str = RegistrationStatus.ACCEPTED) -> None:
        self.charge_point_pk = 7
        self.charge_point_ident = "CP-NEUTRAL"
        self.registration_status = registration_status
        self.problems: list[str] = []
        self.received_at = AT
        self.profile_traits = None


@pytest.fixture
def logged(monkeypatch) -> list:
    entries: list = []
    log = SimpleNamespace(submit_nowait=entries.append)
    monkeypatch.setattr(logbook, "writers", lambda: SimpleNamespace(message_log=log))
    return entries


@pytest.fixture
def heartbeat(monkeypatch):
    answers = {"answer": {"currentTime": "2026-11-30T12:00:00Z"}}

    async def handler(session, payload: dict) -> dict:
        session.problems.append("a kept quirk")
        if isinstance(answers["answer"], Exception):
            raise answers["answer"]
        return answers["answer"]

    monkeypatch.setitem(handlers.HANDLERS, "Heartbeat", handler)
    return answers


def _entries(logged: list) -> list[tuple]:
    return [(e.direction, e.message_type, e.unique_id, e.action, e.payload, e.error_code, e.problems) for e in logged]


async def test_a_call_is_answered_and_logged_in_and_out_without_any_transport(logged, heartbeat) -> None:
    answer = await dispatch(Session(), "Heartbeat", {}, message_id="m1")

    assert answer == {"currentTime": "2026-11-30T12:00:00Z"}
    assert _entries(logged) == [
        (Direction.IN, CALL, "m1", "Heartbeat", {}, "", "a kept quirk"),
        (Direction.OUT, CALLRESULT, "m1", "Heartbeat", answer, "", ""),
    ]
    assert logged[0].created_at == AT and logged[0].charge_point_id == 7


@pytest.mark.parametrize(
    ("status", "action", "payload", "code"),
    [
        (RegistrationStatus.ACCEPTED, "FlyToTheMoon", {}, ErrorCode.NOT_IMPLEMENTED),
        (RegistrationStatus.ACCEPTED, "Reset", {"type": "Soft"}, ErrorCode.NOT_SUPPORTED),
        (RegistrationStatus.PENDING, "Heartbeat", {}, ErrorCode.SECURITY_ERROR),
        (
            RegistrationStatus.ACCEPTED,
            "StatusNotification",
            {"connectorId": 1},
            ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
        ),
        (RegistrationStatus.ACCEPTED, "Heartbeat", {"extra": 1}, ErrorCode.FORMATION_VIOLATION),
    ],
)
async def test_a_call_that_breaks_a_rule_gets_its_ocpp_error_and_both_log_entries(
    logged, heartbeat, status, action, payload, code
) -> None:
    with pytest.raises(OcppError) as raised:
        await dispatch(Session(status), action, payload, message_id="m2")

    assert raised.value.code == code
    assert _entries(logged) == [
        (Direction.IN, CALL, "m2", action, payload, code, raised.value.description),
        (
            Direction.OUT,
            CALLERROR,
            "m2",
            action,
            {"errorCode": code, "errorDescription": raised.value.description},
            "",
            "",
        ),
    ]


async def test_an_answer_that_breaks_the_response_schema_is_an_error_not_sent_as_is(logged, heartbeat) -> None:
    heartbeat["answer"] = {"currentTime": 12}

    with pytest.raises(OcppError):
        await dispatch(Session(), "Heartbeat", {}, message_id="m3")

    assert [e.message_type for e in logged] == [CALL, CALLERROR]


async def test_an_unexpected_failure_is_an_internal_error_with_one_log_line(logged, heartbeat, caplog) -> None:
    heartbeat["answer"] = RuntimeError("a bug")

    with caplog.at_level(logging.WARNING), pytest.raises(OcppError) as raised:
        await dispatch(Session(), "Heartbeat", {}, message_id="m4")

    assert (raised.value.code, raised.value.description) == (ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_DESCRIPTION)
    assert raised.value.__cause__ is None
    assert [(r.name, r.levelno) for r in caplog.records] == [("chargers.ocpp.dispatch", logging.ERROR)]
    assert "a bug" in caplog.text
    assert _entries(logged) == [
        (Direction.IN, CALL, "m4", "Heartbeat", {}, ErrorCode.INTERNAL_ERROR, ""),
        (Direction.OUT, CALLERROR, "m4", "Heartbeat", {"errorCode": ErrorCode.INTERNAL_ERROR}, "", ""),
    ]


def _within_the_room(module: str) -> set[str]:
    """The protocol room's modules that `module` reaches through the room itself (what the services import is
    the services' business: they must not import the room at all)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in imports_of(todo.pop()):
            if name.startswith("chargers.ocpp.") and name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


@pytest.mark.parametrize("module", ["chargers.ocpp.dispatch", "chargers.ocpp.calls", "chargers.ocpp.delivery"])
def test_dispatch_and_the_sending_side_know_no_websocket_and_no_json_text(module) -> None:
    room = _within_the_room(module)
    assert not room & {"chargers.ocpp.websocket", "chargers.ocpp.frames", "chargers.ocpp.handshake"}, room
    assert "channels.generic" not in dispatch_module.__loader__.get_source(dispatch_module.__name__)
