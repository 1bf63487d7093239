"""What a remote operation changes on the portal's side, before it goes out and after the charger answers."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from chargers.models import (
    ChargePoint,
    Command,
    CommandStatus,
    ConfigurationKey,
    Connector,
    Reservation,
    ReservationStatus,
)
from chargers.ocpp.redaction import SECRET_KEYS

__all__ = ["command_apply_result", "command_prepare_payload", "remote_start_link", "reservation_use"]

# A StartTransaction this soon after an accepted RemoteStartTransaction for the same tag is its result.
REMOTE_START_WINDOW = timedelta(minutes=10)


def command_prepare_payload(*, charge_point: ChargePoint, action: str, payload: dict) -> dict:
    """Fill in what the portal owns: a ReserveNow without reservationId gets a new Reservation's id."""
    if action == "ReserveNow" and "reservationId" not in payload:
        expires = _parse(payload.get("expiryDate"))
        if (
            expires is not None
            and isinstance(payload.get("connectorId"), int)
            and isinstance(payload.get("idTag"), str)
        ):
            reservation = Reservation.objects.create(
                charge_point=charge_point,
                connector_id=payload["connectorId"],
                id_tag=payload["idTag"][:20],
                parent_id_tag=str(payload.get("parentIdTag", ""))[:20],
                expires_at=expires,
            )
            payload["reservationId"] = reservation.pk
    return payload


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def command_apply_result(*, command: Command) -> None:
    """Keep pages and the API up to date with what the charger answered (called inside the answer's
    transaction)."""
    apply = _APPLY.get(command.action)
    if apply is not None:
        apply(command)


def _get_configuration(command: Command) -> None:
    response = command.response or {}
    now = timezone.now()
    for entry in response.get("configurationKey") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            continue
        # An AuthorizationKey read back is a secret: remember that there is one, not its value.
        value = None if entry["key"].lower() in SECRET_KEYS else entry.get("value")
        ConfigurationKey.objects.update_or_create(
            charge_point_id=command.charge_point_id,
            key=entry["key"][:50],
            defaults={"value": value, "readonly": bool(entry.get("readonly")), "updated_at": now},
        )


def _change_configuration(command: Command) -> None:
    if command.status != CommandStatus.ACCEPTED:
        return
    key = str(command.payload.get("key", ""))[:50]
    # An AuthorizationKey is a secret: remember that it was set, not its value.
    value = None if key.lower() in SECRET_KEYS else command.payload.get("value")
    ConfigurationKey.objects.update_or_create(
        charge_point_id=command.charge_point_id, key=key, defaults={"value": value, "updated_at": timezone.now()}
    )


def _change_availability(command: Command) -> None:
    answer = (command.response or {}).get("status")
    if answer not in ("Accepted", "Scheduled"):
        return
    connectors = Connector.objects.filter(charge_point_id=command.charge_point_id)
    connector_id = command.payload.get("connectorId")
    if connector_id:  # 0 means the whole charger
        connectors = connectors.filter(connector_id=connector_id)
    wanted = command.payload.get("type", "")
    if answer == "Accepted":
        connectors.update(availability=wanted, availability_scheduled="")
    else:
        connectors.update(availability_scheduled=wanted)


def _reserve_now(command: Command) -> None:
    reservation_id = command.payload.get("reservationId")
    status = ReservationStatus.ACCEPTED if command.status == CommandStatus.ACCEPTED else ReservationStatus.REJECTED
    Reservation.objects.filter(pk=reservation_id, charge_point_id=command.charge_point_id).update(status=status)


def _cancel_reservation(command: Command) -> None:
    if command.status == CommandStatus.ACCEPTED:
        Reservation.objects.filter(
            pk=command.payload.get("reservationId"), charge_point_id=command.charge_point_id
        ).update(status=ReservationStatus.CANCELLED)


def _remote_stop(command: Command) -> None:
    from transactions.models import Transaction

    transaction_id = command.payload.get("transactionId")
    if Transaction.objects.filter(pk=transaction_id, charge_point_id=command.charge_point_id).exists():
        Command.objects.filter(pk=command.pk).update(transaction_id=transaction_id)


_APPLY = {
    "GetConfiguration": _get_configuration,
    "ChangeAvailability": _change_availability,
    "ChangeConfiguration": _change_configuration,
    "ReserveNow": _reserve_now,
    "CancelReservation": _cancel_reservation,
    "RemoteStopTransaction": _remote_stop,
}


def remote_start_link(*, charge_point_pk: int, connector_id: int, id_tag: str, transaction_pk: int) -> None:
    """A StartTransaction that follows an accepted RemoteStartTransaction for the same tag belongs to it."""
    with transaction.atomic():
        command = (
            Command.objects.select_for_update()
            .filter(
                charge_point_id=charge_point_pk,
                action="RemoteStartTransaction",
                status=CommandStatus.ACCEPTED,
                transaction__isnull=True,
                payload__idTag=id_tag,
                answered_at__gte=timezone.now() - REMOTE_START_WINDOW,
            )
            .order_by("-answered_at")
            .first()
        )
        if command is None:
            return
        wanted_connector = command.payload.get("connectorId")
        if wanted_connector is not None and wanted_connector != connector_id:
            return
        command.transaction_id = transaction_pk
        command.save(update_fields=["transaction"])


def reservation_use(*, charge_point_pk: int, reservation_id: int) -> None:
    """A StartTransaction that names a reservation ends it."""
    Reservation.objects.filter(pk=reservation_id, charge_point_id=charge_point_pk).update(status=ReservationStatus.USED)
