"""The writes of chargers/files/: diagnostics uploads, hosted firmware, and filling in what the portal owns in
GetDiagnostics and UpdateFirmware payloads."""

from chargers.files.services.diagnostics import (
    UploadRefused,
    diagnostics_expire,
    diagnostics_file_name_check,
    diagnostics_location_create,
    diagnostics_upload_claim,
    diagnostics_upload_finish,
    diagnostics_upload_receive,
    diagnostics_upload_refuse,
    public_base_url,
)
from chargers.files.services.firmware import (
    firmware_create,
    firmware_delete,
    firmware_payload_fill,
    firmware_signed_url,
)
from chargers.files.services.payloads import files_prepare_payload
from chargers.files.services.rollouts import (
    rollout_advance,
    rollout_command_ended,
    rollout_create,
    rollout_firmware_status,
    rollout_pause,
    rollout_resume,
)

__all__ = [
    "UploadRefused",
    "diagnostics_expire",
    "diagnostics_file_name_check",
    "diagnostics_location_create",
    "diagnostics_upload_claim",
    "diagnostics_upload_finish",
    "diagnostics_upload_receive",
    "diagnostics_upload_refuse",
    "files_prepare_payload",
    "firmware_create",
    "firmware_delete",
    "firmware_payload_fill",
    "firmware_signed_url",
    "public_base_url",
    "rollout_advance",
    "rollout_command_ended",
    "rollout_create",
    "rollout_firmware_status",
    "rollout_pause",
    "rollout_resume",
]
