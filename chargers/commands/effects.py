"""What a command changes on the portal's side once the charger has answered (configuration keys, the connectors'
availability, reservations, the transaction a RemoteStop named), and the link of a StartTransaction to the
RemoteStartTransaction or reservation it came from (the transactions services call those two).

The protocol room reads the charger's CALLRESULT into the plain values of chargers/commands/values.py; nothing
here reads an OCPP answer.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chargers.auth_keys import auth_key_hash, charge_point_confirm_auth_key
from chargers.commands.models import Command, CommandStatus, ConfigurationKey, Reservation, ReservationStatus
from chargers.commands.values import (
    AvailabilityChanged,
    ConfigurationChanged,
    ConfigurationReported,
    Effect,
    ReservationAnswered,
    TransactionNamed,
)
from chargers.models import Connector
from chargers.redaction import SECRET_KEYS
from transactions.models import Transaction

__all__ = ["effects_apply", "remote_start_link", "reservation_use"]

# A StartTransaction this soon after an accepted RemoteStartTransaction for the same tag is its result.
REMOTE_START_WINDOW = timedelta(minutes=10)


def effects_apply(*, charge_point_pk: int, command_pk: int, effects: Iterable[Effect]) -> None:
    """Keep pages and the API up to date with what the charger answered (called inside the answer's
    transaction)."""
    for effect in effects:
        _APPLY[type(effect)](charge_point_pk, command_pk, effect)


def _stored_value(key: str, value: str | None) -> str | None:
    # An AuthorizationKey is a secret: remember that there is one, not its value.
    return None if key.lower() in SECRET_KEYS else value


def _configuration_reported(charge_point_pk: int, command_pk: int, effect: ConfigurationReported) -> None:
    now = timezone.now()
    for entry in effect.keys:
        ConfigurationKey.objects.update_or_create(
            charge_point_id=charge_point_pk,
            key=entry.key[:50],
            defaults={"value": _stored_value(entry.key, entry.value), "readonly": entry.readonly, "updated_at": now},
        )


def _configuration_changed(charge_point_pk: int, command_pk: int, effect: ConfigurationChanged) -> None:
    if effect.key.lower() in SECRET_KEYS and effect.value:
        # The charger accepted its new AuthorizationKey: from now on only that one opens its session.
        charge_point_confirm_auth_key(
            charge_point_pk=charge_point_pk, key_hash=auth_key_hash(key=effect.value.encode())
        )
    ConfigurationKey.objects.update_or_create(
        charge_point_id=charge_point_pk,
        key=effect.key[:50],
        defaults={"value": _stored_value(effect.key, effect.value), "updated_at": timezone.now()},
    )


def _availability_changed(charge_point_pk: int, command_pk: int, effect: AvailabilityChanged) -> None:
    connectors = Connector.objects.filter(charge_point_id=charge_point_pk)
    if effect.connector_id is not None:
        connectors = connectors.filter(connector_id=effect.connector_id)
    if effect.scheduled:
        connectors.update(availability_scheduled=effect.availability)
    else:
        connectors.update(availability=effect.availability, availability_scheduled="")


def _reservation_answered(charge_point_pk: int, command_pk: int, effect: ReservationAnswered) -> None:
    Reservation.objects.filter(pk=effect.reservation_id, charge_point_id=charge_point_pk).update(status=effect.status)


def _transaction_named(charge_point_pk: int, command_pk: int, effect: TransactionNamed) -> None:
    if Transaction.objects.filter(pk=effect.transaction_id, charge_point_id=charge_point_pk).exists():
        Command.objects.filter(pk=command_pk).update(transaction_id=effect.transaction_id)


_APPLY: dict[type, Callable[[int, int, Any], None]] = {
    ConfigurationReported: _configuration_reported,
    ConfigurationChanged: _configuration_changed,
    AvailabilityChanged: _availability_changed,
    ReservationAnswered: _reservation_answered,
    TransactionNamed: _transaction_named,
}


def remote_starts_waiting(*, charge_point_pks: Iterable[int]) -> set[int]:
    """The chargers among these with an accepted RemoteStartTransaction that no transaction has followed yet:
    a batch of StartTransactions asks once, and remote_start_link runs only for the few that have one."""
    return set(
        Command.objects.filter(
            charge_point_id__in=set(charge_point_pks),
            action="RemoteStartTransaction",
            status=CommandStatus.ACCEPTED,
            transaction__isnull=True,
            answered_at__gte=timezone.now() - REMOTE_START_WINDOW,
        ).values_list("charge_point_id", flat=True)
    )


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
