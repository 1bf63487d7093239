"""Charge points and everything around them; one module per topic, all exported here (the command and profile
models live in chargers/commands/ and chargers/profiles/ and are exported here too, so that
`from chargers.models import Command` works for migrations and the other apps)."""

from chargers.charging.models import ChargingProfile
from chargers.commands.models import (
    ENDED_COMMAND_STATUSES,
    OPEN_COMMAND_STATUSES,
    Command,
    CommandBatch,
    CommandStatus,
    ConfigurationKey,
    Reservation,
    ReservationStatus,
)
from chargers.files.models import (
    DiagnosticsStatus,
    DiagnosticsUpload,
    FirmwareRollout,
    HostedFirmware,
    RolloutCharger,
    RolloutChargerStatus,
    RolloutStatus,
    UploadProtocol,
)
from chargers.models.charge_points import (
    ChargePoint,
    ConnectionAttempt,
    Connector,
    DataTransferMessage,
    Direction,
    MessageLog,
    RegistrationStatus,
)
from chargers.profiles.models import (
    ChargerInterface,
    ChargerModel,
    ConnectorSpec,
    DataTransferSpec,
    FirmwareVersion,
    MeasurandSpec,
    QuestionnaireShareLink,
    VendorErrorCode,
)
from chargers.profiles.vocabulary import (
    ByteOrder,
    ChargingType,
    MessageDirection,
    MeterLevel,
    ProfileStatus,
    Transport,
)

__all__ = [
    "ENDED_COMMAND_STATUSES",
    "OPEN_COMMAND_STATUSES",
    "ByteOrder",
    "ChargePoint",
    "ChargerInterface",
    "ChargerModel",
    "ChargingProfile",
    "ChargingType",
    "Command",
    "CommandBatch",
    "CommandStatus",
    "ConfigurationKey",
    "ConnectionAttempt",
    "Connector",
    "ConnectorSpec",
    "DataTransferMessage",
    "DataTransferSpec",
    "DiagnosticsStatus",
    "DiagnosticsUpload",
    "Direction",
    "FirmwareRollout",
    "FirmwareVersion",
    "HostedFirmware",
    "MeasurandSpec",
    "MessageDirection",
    "MessageLog",
    "MeterLevel",
    "ProfileStatus",
    "QuestionnaireShareLink",
    "RegistrationStatus",
    "Reservation",
    "ReservationStatus",
    "RolloutCharger",
    "RolloutChargerStatus",
    "RolloutStatus",
    "Transport",
    "UploadProtocol",
    "VendorErrorCode",
]
