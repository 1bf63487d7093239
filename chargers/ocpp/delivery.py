"""Remote commands out of a session, whatever its transport: claim the charger's queued commands, oldest first,
and perform them one CALL at a time (`call()`, calls.py), in a task of the session's own.

The Command row is the record: a poke (`ocpp.command`) only says "look", and after a channel-layer outage the
session looks again by itself (`on_layer_restored`, which also reads again what other lost messages said).
Nobody waits for a reply: the CALL's timeout is enforced here and the outcome written on the row; what a dead
process leaves 'sent' is reaped by beat's housekeeping.
"""

import asyncio
import logging
import uuid

from channels.db import database_sync_to_async
from django.conf import settings

from chargers.commands import pipeline as command_services
from chargers.models import CommandStatus
from chargers.ocpp.calls import ChargerDisconnected
from chargers.ocpp.messages import CallError
from chargers.ocpp.results import answer_read
from chargers.ocpp.writers import writers
from chargers.selectors import charge_point_registration_status
from chargers.storable import storable_value

logger = logging.getLogger(__name__)


class CommandDeliveryMixin:
    """For a session (session.py) that can `call()` (calls.py's CallerMixin over its transport) and says when it
    is `_closed`."""

    charge_point_pk: int | None
    charge_point_ident: str
    registration_status: str
    profile_traits: object
    _closed: bool
    _delivery: asyncio.Task | None = None
    _delivery_wanted: bool = False

    async def ocpp_command(self, event: dict) -> None:
        """Commands wait for this charger. Deliver them in a task of their own: awaiting a CALL here would block
        this session's inbox, and with it the charger's answer."""
        self._deliver()

    async def on_layer_restored(self) -> None:
        """Messages sent to this session while the channel layer was away are lost; the database still says
        what they said: the registration status, the model profile, the commands queued meanwhile."""
        if self.charge_point_pk is None or self._closed:
            return
        self.profile_traits = None  # read again when next needed
        status = await database_sync_to_async(charge_point_registration_status)(pk=self.charge_point_pk)
        self.registration_status = status or self.registration_status
        self._deliver()

    def _deliver(self) -> None:
        self._delivery_wanted = True
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.get_running_loop().create_task(self._deliver_queued())

    async def _deliver_queued(self) -> None:
        try:
            await self._deliver_claimed()
        except Exception as error:
            # Never a task that dies unseen ("Task exception was never retrieved"): a command claimed when this
            # failed stays 'sent' and beat's housekeeping reaps it; the ones still queued are poked again by the
            # same housekeeping. (A database failure was already logged with its traceback by its writer.)
            logger.warning(
                "charger %s: command delivery stopped (%s: %s); beat's housekeeping retries",
                self.charge_point_ident,
                type(error).__name__,
                error,
            )

    async def _deliver_claimed(self) -> None:
        while self._delivery_wanted and not self._closed:
            self._delivery_wanted = False
            while not self._closed:
                # Claimed together with other sessions' claims: a bulk command is one statement, not thousands.
                claimed = await writers().command_claims.submit((self.charge_point_pk, str(uuid.uuid4())))
                if claimed is None:
                    break
                if self._closed:
                    # The socket closed while the claim was written: nothing went out, so it waits again.
                    await database_sync_to_async(command_services.command_unclaim)(command_pk=claimed.pk)
                    break
                await self._perform(claimed)

    async def _perform(self, claimed: command_services.ClaimedCommand) -> str:
        record_failure = database_sync_to_async(command_services.command_record_failure)
        try:
            answer = await self.call(
                claimed.action, claimed.payload, timeout=settings.OCPP_CALL_TIMEOUT, unique_id=claimed.unique_id
            )
        except TimeoutError:
            status = CommandStatus.TIMED_OUT
            await record_failure(
                command_pk=claimed.pk,
                status=status,
                description=f"no answer within {settings.OCPP_CALL_TIMEOUT:g}s",
            )
            return status
        except ChargerDisconnected as error:
            await record_failure(command_pk=claimed.pk, status=CommandStatus.FAILED, description=str(error))
            return CommandStatus.FAILED
        except Exception as error:
            logger.exception("command %s to %s failed", claimed.pk, self.charge_point_ident)
            await record_failure(command_pk=claimed.pk, status=CommandStatus.FAILED, description=str(error))
            return CommandStatus.FAILED
        if isinstance(answer, CallError):
            await record_failure(
                command_pk=claimed.pk,
                status=CommandStatus.FAILED,
                error_code=answer.error_code,
                description=answer.error_description,
            )
            return CommandStatus.FAILED
        # Whatever the answer holds (a NUL in a configuration key) is read sanitised, as the message log keeps it:
        # refused by the database, it would leave its command "sent" and end this delivery task.
        read = answer_read(action=claimed.action, request=claimed.payload, response=storable_value(answer.payload))
        return await writers().command_answers.submit((claimed.pk, read))
