"""One thin handler per charger-initiated OCPP 1.6 action: read the payload, call a service, shape the reply.

Shared by every transport (rule 2) through dispatch.py, which checks the payload before and the reply after.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from channels.db import database_sync_to_async
from django.utils import timezone

from chargers import services as charger_services
from chargers.models import RegistrationStatus
from chargers.ocpp.messages import ErrorCode, OcppError
from chargers.ocpp.metering import ReadResult, read_meter_values
from chargers.ocpp.schemas import STOP_REASONS
from chargers.ocpp.session import Session
from chargers.ocpp.timestamps import format_timestamp, parse_timestamp, plausible_or_received
from chargers.ocpp.transactional import StartCall, StopCall
from chargers.ocpp.writers import writers
from chargers.profiles.selectors import ProfileTraits
from chargers.services.boots import BootReport
from chargers.services.status import ConnectorStatusReport
from rfid.callout import callout_authorize, callout_enabled
from rfid.services import Authorization, id_tag_authorize
from transactions.load.services import MeteredLoad
from transactions.services import MeterValuesReport, TransactionStart, TransactionStop

logger = logging.getLogger(__name__)


Handler = Callable[[Session, dict], Awaitable[dict]]


def _now() -> str:
    return format_timestamp(timezone.now())


def _parsed(session: Session, value: str, field: str) -> datetime:
    try:
        moment, naive = parse_timestamp(value)
    except ValueError:
        raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{field}: not an ISO 8601 date-time") from None
    if naive:
        session.problems.append(f"{field}: no time zone, read as UTC")
        logger.warning("charger %s sent local time without zone in %s", session.charge_point_ident, field)
    return moment


def _timestamp(session: Session, value: str, field: str) -> datetime:
    moment = _parsed(session, value, field)
    return plausible_or_received(moment, received_at=session.received_at, field=field, problems=session.problems)


# How long a session trusts what it loaded of its charger's model profile (an operator may change it meanwhile).
# The session re-reads them at each boot and when an operator changes the charger's profile (an ocpp.profile
# event); the TTL only bounds what a missed event could leave stale.
PROFILE_TRAITS_TTL_S = 600.0


async def _traits(session: Session) -> ProfileTraits:
    """The charger's profile traits (RFID byte order, default units), cached on the session instead of read
    for every frame."""
    cached: ProfileTraits | None = getattr(session, "profile_traits", None)
    if cached is None or time.monotonic() - cached.loaded_at > PROFILE_TRAITS_TTL_S:
        cached = await writers().traits.submit(session.charge_point_pk)  # with the other sessions asking now
        session.profile_traits = cached
    return cached


def _id_tag_info(authorization: Authorization) -> dict:
    info: dict = {"status": authorization.status}
    if authorization.expiry_date is not None:
        info["expiryDate"] = format_timestamp(authorization.expiry_date)
    if authorization.parent_id_tag:
        info["parentIdTag"] = authorization.parent_id_tag
    return info


async def boot_notification(session: Session, payload: dict) -> dict:
    report = BootReport(
        charge_point_pk=session.charge_point_pk,
        vendor=payload["chargePointVendor"],
        model=payload["chargePointModel"],
        serial_number=payload.get("chargePointSerialNumber", ""),
        charge_box_serial_number=payload.get("chargeBoxSerialNumber", ""),
        firmware_version=payload.get("firmwareVersion", ""),
        iccid=payload.get("iccid", ""),
        imsi=payload.get("imsi", ""),
        meter_type=payload.get("meterType", ""),
        meter_serial_number=payload.get("meterSerialNumber", ""),
    )
    # Stored with the other chargers' boots of the moment (a power cut brings a whole site back at once).
    status, interval = await writers().boots.submit(report)
    session.registration_status = status
    session.profile_traits = None  # the boot may have matched another model profile
    return {"status": status, "currentTime": _now(), "interval": interval}


async def heartbeat(session: Session, payload: dict) -> dict:
    await database_sync_to_async(charger_services.charge_point_heartbeat)(charge_point_pk=session.charge_point_pk)
    return {"currentTime": _now()}


async def _ask_callout(session: Session, authorization: Authorization, raw: str, action: str, **where) -> Authorization:
    """A tag the portal does not know goes to the integrator's callout when there is one (in a thread of its own:
    the thread the process's database calls share must not wait on the network)."""
    if authorization.known or not callout_enabled():
        return authorization
    return await asyncio.to_thread(
        callout_authorize, raw=raw, charge_point_id=session.charge_point_ident, action=action, **where
    )


async def authorize(session: Session, payload: dict) -> dict:
    traits = await _traits(session)
    authorization = await database_sync_to_async(id_tag_authorize)(
        raw=payload["idTag"],
        match_reversed_bytes=traits.little_endian_rfid,
        charge_point_pk=session.charge_point_pk,
        check_concurrent=True,
    )
    authorization = await _ask_callout(session, authorization, payload["idTag"], "Authorize")
    return {"idTagInfo": _id_tag_info(authorization)}


async def start_transaction(session: Session, payload: dict) -> dict:
    moment = _parsed(session, payload["timestamp"], "timestamp")
    started_at = plausible_or_received(
        moment, received_at=session.received_at, field="timestamp", problems=session.problems
    )
    # A clock that cannot be right gave way to the time received, which a resend changes: the time as written
    # then tells a resent start from a new one (transactions/services/sessions.py _identity).
    sent_as = "" if started_at == moment else payload["timestamp"][:40]
    traits = await _traits(session)
    start = TransactionStart(
        charge_point_pk=session.charge_point_pk,
        charge_point_ident=session.charge_point_ident,
        connector_id=payload["connectorId"],
        id_tag=payload["idTag"],
        meter_start_wh=payload["meterStart"],
        started_at=started_at,
        reservation_id=payload.get("reservationId"),
        start_sent_as=sent_as,
    )
    # Decided and stored with the other chargers' starts of the moment, in one database transaction.
    transaction_id, authorization = await writers().starts.submit(StartCall(start, traits.little_endian_rfid))
    if transaction_id is None:
        # A tag the portal does not know, a callout configured: the callout decides, then the start is stored.
        authorization = await _ask_callout(
            session, authorization, payload["idTag"], "StartTransaction", connector_id=payload["connectorId"]
        )
        decided = StartCall(start, traits.little_endian_rfid, authorization)
        transaction_id, authorization = await writers().starts.submit(decided)
    return {"transactionId": transaction_id, "idTagInfo": _id_tag_info(authorization)}


def _read_meter_values(
    session: Session, meter_values: object, field: str, traits: ProfileTraits | None = None
) -> ReadResult:
    """Keep every valid sampledValue; note the rest (rule 5: a vendor quirk never costs the message)."""
    default_units = traits.default_units if traits is not None else None
    result = read_meter_values(meter_values, field, received_at=session.received_at, default_units=default_units)
    session.problems.extend(result.problems)
    return result


async def meter_values(session: Session, payload: dict) -> dict:
    traits = await _traits(session)
    result = _read_meter_values(session, payload["meterValue"], "meterValue", traits)
    if result.samples:
        report = MeterValuesReport(
            charge_point_pk=session.charge_point_pk,
            connector_id=payload["connectorId"],
            transaction_id=payload.get("transactionId"),
            samples=result.samples,
            charge_point_ident=session.charge_point_ident,
        )
        await writers().meter_values.submit(report)
        if traits.load_roles:  # from the cached traits: no query for a charger whose model meters no site load
            await _site_loads(session, traits, result.samples)
    return {}


async def _site_loads(session: Session, traits: ProfileTraits, samples: list) -> None:
    """The values the model profile takes for the building's or the circuit's draw, to load management (they
    stay stored as meter values too)."""
    by_role: dict[str, list] = {}
    for sample in samples:
        role = traits.load_role(measurand=sample.measurand, location=sample.location)
        if role:
            by_role.setdefault(role, []).append(sample)
    for role, picked in by_role.items():
        await writers().site_loads.submit(MeteredLoad(session.charge_point_pk, role, tuple(picked)))


async def stop_transaction(session: Session, payload: dict) -> dict:
    stopped_at = _timestamp(session, payload["timestamp"], "timestamp")
    traits = await _traits(session)
    samples = _read_meter_values(session, payload.get("transactionData", []), "transactionData", traits).samples
    id_tag = payload.get("idTag", "")
    reason = payload.get("reason", "")
    if reason and reason not in STOP_REASONS:
        session.problems.append(f"reason: non-standard {reason[:40]!r}, kept")
    stop = TransactionStop(
        charge_point_pk=session.charge_point_pk,
        charge_point_ident=session.charge_point_ident,
        transaction_id=payload["transactionId"],
        meter_stop_wh=payload["meterStop"],
        stopped_at=stopped_at,
        reason=reason,
        id_tag=id_tag,
        samples=samples,
    )
    # Stored, and the tag that stopped re-checked, with the other chargers' stops of the moment.
    result, authorization = await writers().stops.submit(StopCall(stop, traits.little_endian_rfid))
    if not result.was_known:
        session.problems.append(f"transactionId {payload['transactionId']} unknown: kept as a new transaction")
    if authorization is None:
        return {}
    authorization = await _ask_callout(session, authorization, id_tag, "StopTransaction")
    return {"idTagInfo": _id_tag_info(authorization)}


async def status_notification(session: Session, payload: dict) -> dict:
    timestamp = _timestamp(session, payload["timestamp"], "timestamp") if "timestamp" in payload else None
    report = ConnectorStatusReport(
        charge_point_pk=session.charge_point_pk,
        charge_point_id=session.charge_point_ident,
        connector_id=payload["connectorId"],
        status=payload["status"],
        error_code=payload["errorCode"],
        timestamp=timestamp,
        info=payload.get("info", ""),
        vendor_id=payload.get("vendorId", ""),
        vendor_error_code=payload.get("vendorErrorCode", ""),
    )
    await writers().statuses.submit(report)  # with the other chargers' notifications of the moment
    return {}


async def data_transfer(session: Session, payload: dict) -> dict:
    status, problems = await database_sync_to_async(charger_services.data_transfer_receive)(
        charge_point_pk=session.charge_point_pk,
        vendor_id=payload["vendorId"],
        message_id=payload.get("messageId", ""),
        data=payload.get("data", ""),
    )
    # Decoded against the model profile's spec of this message, so the log says what does not fit it.
    session.problems.extend(problems)
    return {"status": status}


async def diagnostics_status_notification(session: Session, payload: dict) -> dict:
    await database_sync_to_async(charger_services.charge_point_diagnostics_status)(
        charge_point_pk=session.charge_point_pk, status=payload["status"]
    )
    return {}


async def firmware_status_notification(session: Session, payload: dict) -> dict:
    await database_sync_to_async(charger_services.charge_point_firmware_status)(
        charge_point_pk=session.charge_point_pk, status=payload["status"]
    )
    return {}


HANDLERS: dict[str, Handler] = {
    "Authorize": authorize,
    "BootNotification": boot_notification,
    "DataTransfer": data_transfer,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
    "FirmwareStatusNotification": firmware_status_notification,
    "Heartbeat": heartbeat,
    "MeterValues": meter_values,
    "StartTransaction": start_transaction,
    "StatusNotification": status_notification,
    "StopTransaction": stop_transaction,
}

# Before an operator accepts a charger, only BootNotification is answered (OCPP 1.6, 4.2.1).
ALLOWED_BEFORE_ACCEPTANCE = frozenset({"BootNotification"})


def check_registration(session: Session, action: str) -> None:
    if session.registration_status != RegistrationStatus.ACCEPTED and action not in ALLOWED_BEFORE_ACCEPTANCE:
        raise OcppError(
            ErrorCode.SECURITY_ERROR,
            f"{action} refused: the charge point is {session.registration_status}, not Accepted",
        )
