"""Charge points and everything around them; one module per topic, all exported here."""

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

__all__ = [
    "OPEN_COMMAND_STATUSES",
    "ChargePoint",
    "Command",
    "CommandBatch",
    "CommandStatus",
    "ConnectionAttempt",
    "Connector",
    "DataTransferMessage",
    "Direction",
    "MessageLog",
    "RegistrationStatus",
]
