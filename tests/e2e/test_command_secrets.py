"""A new AuthorizationKey travels to the charger in full and is gone from the Command row once answered."""

import asyncio
import uuid

import pytest

from chargers.commands.services import command_create
from chargers.models import Command, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.e2e.test_remote_commands import KEY, connected, wait_until_final

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
