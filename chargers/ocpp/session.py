"""What the protocol room knows of a charger's session, whatever transport carries it."""

from datetime import datetime
from typing import Protocol


class Session(Protocol):
    """A connected charger as dispatch, the handlers and the message log see it (the websocket consumer is one;
    a SOAP transport's per-request session would be another)."""

    charge_point_pk: int
    charge_point_ident: str
    registration_status: str
    problems: list[str]  # what the message being handled had wrong but could keep, for its log entry
    received_at: datetime  # when the message being handled arrived
    profile_traits: object  # the charger's model profile traits, cached (handlers._traits); None to reload
