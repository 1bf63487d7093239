"""What the alerts app tells the rest of the house: an alert raised (also a webhook event, `alert.raised`) and
an alert cleared (for the live pages). Seen by the fleet, and by the charger's group when it is about one."""

from dataclasses import dataclass
from datetime import datetime

from core.events import FLEET, Event, charger_group


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent(Event):
    alert_pk: int
    kind: str
    charge_point_pk: int | None = None
    charge_point_id: str = ""
    site_pk: int | None = None
    connector_id: int | None = None
    transaction_pk: int | None = None

    def groups(self) -> tuple[str, ...]:
        if self.charge_point_pk is None:
            return (FLEET,)
        return (FLEET, charger_group(self.charge_point_pk))


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(AlertEvent):
    """Something an operator should look at."""

    name = "alert.raised"
    message: str
    raised_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertCleared(AlertEvent):
    name = "alert.cleared"
    cleared_at: datetime


# The events offered to webhooks (webhooks/models.py derives its list from this one); alert.cleared is for the
# live pages only (INTERFACES.md names the webhook events).
EVENT_TYPES: tuple[type[AlertEvent], ...] = (AlertRaised,)
