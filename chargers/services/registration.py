"""An operator's side of a charger: registering it, accepting or rejecting it, renaming it, giving it a key."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from chargers.auth_keys import auth_key_hash
from chargers.commands.models import Command
from chargers.commands.services import PayloadCheck, command_create, command_supported
from chargers.layer import channel_send
from chargers.models import ChargePoint, Connector, RegistrationStatus
from chargers.services.authentication import charge_point_set_auth_key

__all__ = [
    "BOOT_TRIGGER",
    "charge_point_accept",
    "charge_point_register",
    "charge_point_registration_status",
    "charge_point_set_registration",
    "charge_point_update",
]


def charge_point_register(
    *,
    charge_point_id: str,
    auth_key: str | None = None,
    registration_status: str = RegistrationStatus.ACCEPTED,
    name: str = "",
    security_profile: int = 1,
) -> ChargePoint:
    """An operator registers a charger ahead of its first connection."""
    charge_point = ChargePoint(
        charge_point_id=charge_point_id,
        registration_status=registration_status,
        name=name,
        security_profile=security_profile,
    )
    if auth_key:
        if len(auth_key) < 16:
            raise ValueError("An AuthorizationKey must be at least 16 characters")
        charge_point.auth_key_hash = auth_key_hash(key=auth_key.encode())
    charge_point.full_clean()
    with transaction.atomic():
        charge_point.save()
        Connector.objects.get_or_create(charge_point=charge_point, connector_id=0)
    return charge_point


def charge_point_set_registration(*, charge_point: ChargePoint, status: str) -> ChargePoint:
    """Accept or reject a charger (a Pending one learns it at its next BootNotification)."""
    if status not in RegistrationStatus.values:
        raise ValueError(f"registration status must be one of {RegistrationStatus.values}")
    charge_point.registration_status = status
    charge_point.save(update_fields=["registration_status"])
    charge_point.refresh_from_db(fields=["channel_name"])
    if charge_point.channel_name:
        # The live session caches the status: tell it, wherever (whichever daphne process) it runs.
        channel = charge_point.channel_name
        transaction.on_commit(lambda: channel_send(channel, {"type": "ocpp.registration", "status": status}))
    return charge_point


BOOT_TRIGGER = {"requestedMessage": "BootNotification"}
# A boot trigger that has not gone out by then is dropped: arriving later, it would reach an Accepted charger,
# which OCPP forbids (a charger that reconnects as Pending boots by itself anyway).
BOOT_TRIGGER_EXPIRY = timedelta(minutes=2)


def charge_point_accept(
    *, charge_point: ChargePoint, check_payload: PayloadCheck, requested_by: object = None, requested_via: str = "web"
) -> Command | None:
    """Accept a charger and, when it was Pending and is online, ask it to boot again at once (TriggerMessage
    BootNotification) so that it need not wait for its retry interval; returns that command (None when none
    was queued).

    The trigger is queued first, while the charger is still Pending: once Accepted, the rules refuse to trigger a
    boot (command_validate). Both in one transaction: an operator never gets one without the other. A model
    that does not support TriggerMessage is accepted all the same and boots at its own pace."""
    with transaction.atomic():
        command = None
        if (
            charge_point.registration_status == RegistrationStatus.PENDING
            and charge_point.is_online
            and command_supported(charge_point=charge_point, action="TriggerMessage")[0]
        ):
            command = command_create(
                charge_point=charge_point,
                action="TriggerMessage",
                payload=dict(BOOT_TRIGGER),
                check_payload=check_payload,
                requested_by=requested_by,
                requested_via=requested_via,
                expires_at=timezone.now() + BOOT_TRIGGER_EXPIRY,
            )
        charge_point_set_registration(charge_point=charge_point, status=RegistrationStatus.ACCEPTED)
    return command


def charge_point_registration_status(*, charge_point_pk: int) -> str:
    return ChargePoint.objects.filter(pk=charge_point_pk).values_list("registration_status", flat=True).get()


def charge_point_update(
    *,
    charge_point: ChargePoint,
    name: str | None = None,
    registration_status: str | None = None,
    authorization_key: str | None = None,
    security_profile: int | None = None,
) -> ChargePoint:
    """One operator edit, one transaction: rename, set a new key or security profile, accept or reject (the live
    session hears of a registration change on commit; a new profile holds from the charger's next connection)."""
    with transaction.atomic():
        if name is not None and name != charge_point.name:
            charge_point.name = name
            charge_point.save(update_fields=["name"])
        if security_profile is not None and security_profile != charge_point.security_profile:
            charge_point.security_profile = security_profile
            charge_point.save(update_fields=["security_profile"])
        if authorization_key is not None:
            charge_point_set_auth_key(charge_point=charge_point, key=authorization_key)
        if registration_status is not None and registration_status != charge_point.registration_status:
            charge_point_set_registration(charge_point=charge_point, status=registration_status)
    return charge_point
