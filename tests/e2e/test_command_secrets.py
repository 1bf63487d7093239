"""A new AuthorizationKey travels to the charger in full and is gone from the Command row once answered."""

import asyncio
import uuid

import pytest
import websockets
from django.core.exceptions import ValidationError

from chargers.commands.services import command_create
from chargers.models import Command, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.e2e.test_remote_commands import KEY, connected, wait_until_final
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

NEW_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"


def test_the_charger_gets_the_new_key_and_the_row_keeps_none_of_it(command_portal, celery_worker) -> None:
    charger = charge_point_register(charge_point_id=f"SECRET-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    payload = {"key": "AuthorizationKey", "value": NEW_KEY}

    async def scenario() -> tuple[Command, list]:
        sim = await connected(command_portal, charger)
        command = await in_db_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ChangeConfiguration",
            payload=payload,
        )
        done = await in_db_thread(wait_until_final, command=command)
        await sim.close()
        return done, sim.received_calls

    command, calls = asyncio.run(scenario())

    assert [(action, sent) for _, action, sent in calls] == [("ChangeConfiguration", payload)]
    assert command.status == CommandStatus.ACCEPTED
    assert NEW_KEY not in str(Command.objects.filter(pk=command.pk).values().get())


async def _opens(portal, charger, key: str) -> bool:
    """Whether `key` opens the charger's session (a refused handshake is HTTP 403). The session leaves a new key
    it is sent unanswered: it neither takes nor refuses it."""
    sim = SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=key)
    sim.answers["ChangeConfiguration"] = lambda payload: None
    try:
        await sim.connect()
    except websockets.InvalidStatus:
        return False
    await sim.close()
    return True


def test_once_the_charger_accepts_its_new_key_only_the_new_key_opens_its_session(command_portal, celery_worker) -> None:
    charger = charge_point_register(charge_point_id=f"ROTATE-{uuid.uuid4().hex[:8]}", auth_key=KEY)

    async def scenario() -> tuple[bool, bool]:
        sim = await connected(command_portal, charger)
        command = await in_db_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ChangeConfiguration",
            payload={"key": "AuthorizationKey", "value": NEW_KEY},
        )
        assert (await in_db_thread(wait_until_final, command=command)).status == CommandStatus.ACCEPTED
        await sim.close()
        return await _opens(command_portal, charger, KEY), await _opens(command_portal, charger, NEW_KEY)

    assert asyncio.run(scenario()) == (False, True)


def test_while_the_new_key_is_unconfirmed_both_open_the_session_and_using_the_new_one_confirms_it(
    command_portal, celery_worker
) -> None:
    charger = charge_point_register(charge_point_id=f"ROTATE-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    # Sent while the charger is offline: it waits in the queue, unconfirmed.
    command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="ChangeConfiguration",
        payload={"key": "AuthorizationKey", "value": NEW_KEY},
    )

    async def scenario() -> list[bool]:
        return [
            await _opens(command_portal, charger, KEY),  # not confirmed yet: the old key still works
            await _opens(command_portal, charger, NEW_KEY),  # the charger uses the new one: confirmed
            await _opens(command_portal, charger, KEY),  # and the old one is done
        ]

    assert asyncio.run(scenario()) == [True, True, False]


def test_a_charger_that_took_the_new_key_but_whose_answer_was_lost_is_not_locked_out(
    command_portal, celery_worker
) -> None:
    charger = charge_point_register(charge_point_id=f"ROTATE-{uuid.uuid4().hex[:8]}", auth_key=KEY)

    async def scenario() -> tuple[str, bool, bool]:
        sim = await connected(command_portal, charger)
        sim.answers["ChangeConfiguration"] = lambda payload: None  # takes the key, and its answer is lost
        command = await in_db_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ChangeConfiguration",
            payload={"key": "AuthorizationKey", "value": NEW_KEY},
        )
        status = (await in_db_thread(wait_until_final, command=command)).status
        await sim.close()
        # It reboots with the new key: let in, and from then on the old one is refused.
        return status, await _opens(command_portal, charger, NEW_KEY), await _opens(command_portal, charger, KEY)

    assert asyncio.run(scenario()) == (CommandStatus.TIMED_OUT, True, False)


def test_a_new_authorization_key_shorter_than_16_characters_is_refused_before_it_is_queued() -> None:
    charger = charge_point_register(charge_point_id=f"ROTATE-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    with pytest.raises(ValidationError, match="at least 16"):
        command_create(
            check_payload=request_problem,
            charge_point=charger,
            action="ChangeConfiguration",
            payload={"key": "AuthorizationKey", "value": "short"},
        )
