"""What the chargers app tells the rest of the house (published by its services after commit, core/events.py)."""

from dataclasses import dataclass
from datetime import datetime

from chargers.models import Connector
from core.events import FLEET, Event, charger_group


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerEvent(Event):
    """About one charger: seen by the fleet and by that charger's group."""

    charge_point_pk: int
    charge_point_id: str

    def groups(self) -> tuple[str, ...]:
        return (FLEET, charger_group(self.charge_point_pk))


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerOnline(ChargerEvent):
    name = "charger.online"
    remote_addr: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerOffline(ChargerEvent):
    name = "charger.offline"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorStatusChanged(ChargerEvent):
    name = "charger.status"
    connector_id: int
    status: str
    error_code: str = ""
    info: str = ""
    vendor_error_code: str = ""
    timestamp: datetime | None = None


def connector_status_changed(*, connector: Connector, charge_point_id: str) -> ConnectorStatusChanged:
    """The status event of a connector row as it stands (the service after a change, a page's first snapshot)."""
    return ConnectorStatusChanged(
        charge_point_pk=connector.charge_point_id,
        charge_point_id=charge_point_id,
        connector_id=connector.connector_id,
        status=connector.status,
        error_code=connector.error_code,
        info=connector.info,
        vendor_error_code=connector.vendor_error_code,
        timestamp=connector.status_timestamp,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandFinished(ChargerEvent):
    name = "command.finished"
    command_pk: int
    action: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FirmwareStatusChanged(ChargerEvent):
    """A FirmwareStatusNotification (firmware rollouts follow it: chargers/files/subscribers.py). Not among
    EVENT_TYPES: no webhook offers it yet."""

    name = "charger.firmware_status"
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameLogged(ChargerEvent):
    """A frame of the charger's message log, for the live tail on its page. Only that charger's group sees it
    (not the fleet), and only while somebody watches it (chargers/services/message_log.py); it is no webhook
    event: not in EVENT_TYPES, so no webhook can subscribe to it."""

    name = "charger.log"
    direction: str
    message_type: int | None
    unique_id: str
    action: str
    text: str  # the payload as JSON, cut to TAIL_TEXT_CHARS
    error_code: str = ""
    created_at: datetime

    def groups(self) -> tuple[str, ...]:
        return (charger_group(self.charge_point_pk),)


# The event names chargers publish, one list (webhooks and the API derive theirs from the event classes).
EVENT_TYPES: tuple[type[ChargerEvent], ...] = (
    ChargerOnline,
    ChargerOffline,
    ConnectorStatusChanged,
    CommandFinished,
)
