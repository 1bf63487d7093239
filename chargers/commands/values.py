"""Plain values the command services take and give: a claimed command for the session to send, a charger's
answer as the protocol room read it (chargers/ocpp/results.py), and what that answer changes on the portal's side.
No OCPP shape is read here or by the services that take these."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimedCommand:
    """A command a session has claimed (now 'sent') and is to send as a CALL with this unique id."""

    pk: int
    action: str
    payload: dict
    unique_id: str


@dataclass(frozen=True, slots=True)
class ConfigurationValue:
    key: str
    value: str | None  # None: the charger did not say
    readonly: bool = False


@dataclass(frozen=True, slots=True)
class ConfigurationReported:
    """The keys a charger reported (GetConfiguration)."""

    keys: tuple[ConfigurationValue, ...]


@dataclass(frozen=True, slots=True)
class ConfigurationChanged:
    """A key the charger accepted to change (ChangeConfiguration)."""

    key: str
    value: str | None


@dataclass(frozen=True, slots=True)
class AvailabilityChanged:
    """Connectors made (or, `scheduled`, to be made once their sessions end) Operative or Inoperative."""

    connector_id: int | None  # None: every connector of the charger
    availability: str
    scheduled: bool


@dataclass(frozen=True, slots=True)
class ReservationAnswered:
    """A reservation the charger took, refused or cancelled (ReserveNow, CancelReservation)."""

    reservation_id: int
    status: str  # a ReservationStatus


@dataclass(frozen=True, slots=True)
class TransactionNamed:
    """The transaction a RemoteStopTransaction asked to stop."""

    transaction_id: int


Effect = ConfigurationReported | ConfigurationChanged | AvailabilityChanged | ReservationAnswered | TransactionNamed


@dataclass(frozen=True, slots=True)
class Answer:
    """A charger's CALLRESULT to a command, read: the payload as received (the command's record), whether the
    charger did (or will do) what was asked, how the answer strays from its schema (it is kept all the same), and
    what it changes."""

    response: dict
    accepted: bool
    problems: str = ""
    effects: tuple[Effect, ...] = ()
