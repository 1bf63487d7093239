"""What the portal fills into a command's payload (called by chargers.commands.services.command_prepare_payload):
a GetDiagnostics without `location` gets a one-time upload location, over FTP or, with `"upload_protocol":
"http"`, HTTP; an UpdateFirmware naming `firmware_id` gets that hosted firmware's signed link. Neither
`upload_protocol` nor `firmware_id` reaches the charger."""

from django.core.exceptions import ValidationError

from chargers.files.models import UploadProtocol
from chargers.files.services.diagnostics import diagnostics_location_create
from chargers.files.services.firmware import firmware_payload_fill
from chargers.models import ChargePoint

__all__ = ["files_prepare_payload"]

# The profile's upload protocols (chargers/profiles/vocabulary.py) that our HTTP and FTP locations serve.
_HTTP_FAMILY = frozenset({"http", "https"})
_FTP_FAMILY = frozenset({"ftp"})


def _protocol(*, charge_point: ChargePoint, asked: object) -> str:
    if asked is not None:
        if asked not in UploadProtocol.values:
            raise ValidationError({"payload": [f"upload_protocol: {asked!r} is not one of ftp, http"]})
        return str(asked)
    # Not asked: what the charger's model profile says it can do, FTP when it says nothing or both.
    listed = set(getattr(charge_point.charger_model, "diagnostics_upload_protocols", None) or [])
    if listed & _HTTP_FAMILY and not listed & _FTP_FAMILY:
        return UploadProtocol.HTTP
    return UploadProtocol.FTP


def files_prepare_payload(*, charge_point: ChargePoint, action: str, payload: dict) -> dict:
    if action == "GetDiagnostics" and "location" not in payload:
        protocol = _protocol(charge_point=charge_point, asked=payload.pop("upload_protocol", None))
        _, payload["location"] = diagnostics_location_create(charge_point=charge_point, protocol=protocol)
    if action == "UpdateFirmware" and "firmware_id" in payload:
        payload = firmware_payload_fill(charge_point=charge_point, payload=payload)
    return payload
