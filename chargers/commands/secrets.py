"""Secrets in commands: an AuthorizationKey being set (ChangeConfiguration) or read back (GetConfiguration).

The consumer sends a command's payload from its row, so a queued or sent command keeps the secret; once the
command has left its queue for good (answered, failed, timed out, expired, cancelled) the row is scrubbed with
the message log's redaction. Pages, the API and the admin show commands through `redact` at all times.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from chargers.auth_keys import charge_point_stage_auth_key
from chargers.commands.models import ENDED_COMMAND_STATUSES, Command
from chargers.redaction import SECRET_ACTIONS, SECRET_KEYS, redact

__all__ = [
    "MIN_AUTHORIZATION_KEY_LENGTH",
    "authorization_key_sent",
    "commands_scrub_ended",
    "commands_scrub_secrets",
    "commands_stage_authorization_keys",
    "schedule_refuse_secret",
]

MIN_AUTHORIZATION_KEY_LENGTH = 16  # OCPP 1.6 security whitepaper


def authorization_key_sent(*, action: str, payload: dict) -> str | None:
    """The new AuthorizationKey a command sets, or None."""
    if action == "ChangeConfiguration" and str(payload.get("key", "")).lower() in SECRET_KEYS:
        return str(payload.get("value", ""))
    return None


def commands_stage_authorization_keys(*, commands: Iterable[Command]) -> None:
    """Each charger sent a new AuthorizationKey accepts it from now on, beside its current one (key rotation
    without a lock-out, chargers/models ChargePoint.auth_key_hash_next)."""
    by_key: dict[str, list[int]] = {}
    for command in commands:
        key = authorization_key_sent(action=command.action, payload=command.payload)
        if key is not None:
            by_key.setdefault(key, []).append(command.charge_point_id)
    for key, charge_point_pks in by_key.items():
        charge_point_stage_auth_key(charge_point_pks=charge_point_pks, key=key)


def commands_scrub_secrets(*, commands: Iterable[Command]) -> int:
    """Scrub these commands, in memory and on their rows, if they have ended and still hold a secret. Costs no
    query for commands without one (the answers of a bulk command come through here)."""
    scrubbed = []
    for command in commands:
        if command.action not in SECRET_ACTIONS or command.status not in ENDED_COMMAND_STATUSES:
            continue
        payload, response = redact(command.action, command.payload), redact(command.action, command.response)
        if payload != command.payload or response != command.response:
            command.payload, command.response = payload, response
            scrubbed.append(command)
    if scrubbed:
        Command.objects.bulk_update(scrubbed, ["payload", "response"])
    return len(scrubbed)


def commands_scrub_ended(*, pks: Iterable[int]) -> int:
    """Scrub these commands if they have ended and still hold a secret (after an UPDATE that ended them)."""
    ended = Command.objects.filter(pk__in=list(pks), action__in=SECRET_ACTIONS, status__in=ENDED_COMMAND_STATUSES)
    return commands_scrub_secrets(commands=ended.only("id", "action", "status", "payload", "response"))


def schedule_refuse_secret(*, action: str, payload: dict) -> None:
    """For what keeps a payload for good (a recurring schedule): a secret there could never be scrubbed."""
    if redact(action, payload) != payload:
        raise ValidationError(
            {
                "payload": [
                    "An AuthorizationKey cannot be scheduled (the schedule would keep it in clear): send it once."
                ]
            }
        )
