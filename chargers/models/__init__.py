"""Charge points and everything around them; one module per topic, all exported here (the profile models live
in chargers/profiles/ and are exported here too, so that `from chargers.models import ChargerModel` works)."""

from chargers.models.charge_points import (
    ChargePoint,
    ConnectionAttempt,
    Connector,
    DataTransferMessage,
    Direction,
    MessageLog,
    RegistrationStatus,
)
from chargers.models.commands import OPEN_COMMAND_STATUSES, Command, CommandBatch, CommandStatus
from chargers.models.operations import ConfigurationKey, Reservation, ReservationStatus
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
    "OPEN_COMMAND_STATUSES",
    "ByteOrder",
    "ChargePoint",
    "ChargerInterface",
    "ChargerModel",
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
    "Direction",
    "FirmwareVersion",
    "MeasurandSpec",
    "MessageDirection",
    "MessageLog",
    "MeterLevel",
    "ProfileStatus",
    "QuestionnaireShareLink",
    "RegistrationStatus",
    "Reservation",
    "ReservationStatus",
    "Transport",
    "VendorErrorCode",
]
