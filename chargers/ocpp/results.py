"""A command's payloads in the protocol room: a request checked against its OCPP schema before it is queued
(`request_problem`, which the edges hand to the command services), and a charger's CALLRESULT read into the plain
values the command services take (`answer_read`): whether the charger did what was asked, how the answer strays
from its schema, and what it changes on the portal's side. The command services never read an OCPP answer.
"""

from collections.abc import Callable

from chargers.commands.models import ReservationStatus
from chargers.commands.values import (
    Answer,
    AvailabilityChanged,
    ConfigurationChanged,
    ConfigurationReported,
    ConfigurationValue,
    Effect,
    ReservationAnswered,
    TransactionNamed,
)
from chargers.ocpp.messages import OcppError
from chargers.ocpp.schemas import validate_request, validate_response

__all__ = ["answer_read", "request_problem"]

# Answers whose `status` means the charger did what was asked (or will: Scheduled, RebootRequired).
_DONE = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked"})


def request_problem(action: str, payload: dict) -> str | None:
    """What is wrong with a command's payload for its OCPP schema ("field: reason"), or None."""
    try:
        validate_request(action, payload)
    except OcppError as error:
        field = error.details.get("field") or "payload"
        return f"{field}: {error.description.split(': ', 1)[-1]}"
    return None


def answer_read(*, action: str, request: dict, response: dict) -> Answer:
    """The charger's CALLRESULT `response` to the command `action` with payload `request`, as plain values."""
    status = response.get("status") if isinstance(response.get("status"), str) else None
    read_effects = _EFFECTS.get(action)
    return Answer(
        response=response,
        # An answer without a status (GetConfiguration, DataTransfer without one...) is the charger doing it.
        accepted=_accepted(status),
        problems=_problems(action, response),
        effects=read_effects(request, response, status) if read_effects else (),
    )


def _accepted(status: str | None) -> bool:
    return status is None or status in _DONE


def _problems(action: str, response: dict) -> str:
    try:
        validate_response(action, response)
    except OcppError as error:
        # Lenient in what we accept: the answer is kept, with what is wrong with it.
        return f"answer does not follow the OCPP schema: {error.description}"[:255]
    return ""


def _text(value: object) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


def _get_configuration(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    entries = response.get("configurationKey")
    keys = tuple(
        ConfigurationValue(key=entry["key"], value=_text(entry.get("value")), readonly=bool(entry.get("readonly")))
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("key"), str)
    )
    return (ConfigurationReported(keys=keys),) if keys else ()


def _change_configuration(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    if not _accepted(status):
        return ()
    return (ConfigurationChanged(key=str(request.get("key", "")), value=_text(request.get("value"))),)


def _change_availability(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    if status not in ("Accepted", "Scheduled"):
        return ()
    return (
        AvailabilityChanged(
            connector_id=request.get("connectorId") or None,  # 0 means the whole charger
            availability=str(request.get("type", "")),
            scheduled=status == "Scheduled",
        ),
    )


def _reserve_now(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    reservation_id = request.get("reservationId")
    if not isinstance(reservation_id, int):
        return ()
    taken = ReservationStatus.ACCEPTED if _accepted(status) else ReservationStatus.REJECTED
    return (ReservationAnswered(reservation_id=reservation_id, status=taken),)


def _cancel_reservation(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    reservation_id = request.get("reservationId")
    if not _accepted(status) or not isinstance(reservation_id, int):
        return ()
    return (ReservationAnswered(reservation_id=reservation_id, status=ReservationStatus.CANCELLED),)


def _remote_stop(request: dict, response: dict, status: str | None) -> tuple[Effect, ...]:
    transaction_id = request.get("transactionId")
    return (TransactionNamed(transaction_id=transaction_id),) if isinstance(transaction_id, int) else ()


_EFFECTS: dict[str, Callable[[dict, dict, str | None], tuple[Effect, ...]]] = {
    "GetConfiguration": _get_configuration,
    "ChangeConfiguration": _change_configuration,
    "ChangeAvailability": _change_availability,
    "ReserveNow": _reserve_now,
    "CancelReservation": _cancel_reservation,
    "RemoteStopTransaction": _remote_stop,
}
