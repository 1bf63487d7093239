"""An AuthorizationKey being set (ChangeConfiguration) is never shown by the API or the admin, is kept on the
Command row only until the command has left its queue for good, and is then scrubbed from the row."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from chargers.commands.pipeline import (
    command_claim_next,
    command_record_answer,
    command_record_failure,
    command_unclaim,
    commands_claim_next,
    commands_expire,
    commands_reap,
)
from chargers.commands.services import command_batch_create, command_cancel, command_create
from chargers.models import Command, CommandBatch, CommandStatus, ConfigurationKey
from chargers.ocpp.results import answer_read, request_problem
from chargers.services import charge_point_register
from tests.factories import OperatorFactory, token_client

pytestmark = pytest.mark.django_db

SECRET = "new-secret-authorization-key-0001"
SET_KEY = {"key": "AuthorizationKey", "value": SECRET}


@pytest.fixture
def charger():
    return charge_point_register(charge_point_id="SECRET-1")


def queue_key_change(charger, **options) -> Command:
    return command_create(
        check_payload=request_problem, charge_point=charger, action="ChangeConfiguration", payload=SET_KEY, **options
    )


def stored(command: Command) -> str:
    """Everything the row holds, as text."""
    return str(Command.objects.filter(pk=command.pk).values().get())


def test_a_queued_command_keeps_the_key_on_its_row_until_it_is_sent(charger) -> None:
    command = queue_key_change(charger)
    assert SECRET in stored(command)

    claimed = command_claim_next(charge_point_pk=charger.pk, unique_id="u-1")
    assert claimed.payload == SET_KEY  # what the consumer sends
    command_unclaim(command_pk=claimed.pk)  # a session that closed before sending puts it back
    assert SECRET in stored(command)


def key_change_answer(response: dict):
    return answer_read(action="ChangeConfiguration", request=SET_KEY, response=response)


def end_by_answer(command: Command, charger) -> None:
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-answer")
    command_record_answer(command_pk=command.pk, answer=key_change_answer({"status": "Accepted"}))


def end_by_rejection(command: Command, charger) -> None:
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-reject")
    command_record_answer(command_pk=command.pk, answer=key_change_answer({"status": "Rejected"}))


def end_by_call_error(command: Command, charger) -> None:
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-error")
    command_record_failure(command_pk=command.pk, status=CommandStatus.FAILED, error_code="InternalError")


def end_by_timeout(command: Command, charger) -> None:
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-timeout")
    command_record_failure(command_pk=command.pk, status=CommandStatus.TIMED_OUT, description="no answer")


def end_by_cancel(command: Command, charger) -> None:
    assert command_cancel(command=command)


def end_by_expiry(command: Command, charger) -> None:
    Command.objects.filter(pk=command.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert commands_expire() == 1


def end_by_expiry_at_claim(command: Command, charger) -> None:
    Command.objects.filter(pk=command.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert commands_claim_next(claims=[(charger.pk, "u-late")]) == [None]


def end_by_reaping(command: Command, charger) -> None:
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-lost")
    Command.objects.filter(pk=command.pk).update(sent_at=timezone.now() - timedelta(hours=1))
    assert commands_reap() == 1


ENDINGS = [
    end_by_answer,
    end_by_rejection,
    end_by_call_error,
    end_by_timeout,
    end_by_cancel,
    end_by_expiry,
    end_by_expiry_at_claim,
    end_by_reaping,
]


@pytest.mark.parametrize("end", ENDINGS, ids=[end.__name__ for end in ENDINGS])
def test_the_key_is_scrubbed_from_the_row_once_the_command_has_left_its_queue_for_good(charger, end) -> None:
    command = queue_key_change(charger)

    end(command, charger)

    command.refresh_from_db()
    assert not command.is_open
    assert SECRET not in stored(command)
    assert command.payload["key"] == "AuthorizationKey"  # what was done stays readable


def test_other_configuration_keys_are_kept_as_sent(charger) -> None:
    command = command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="ChangeConfiguration",
        payload={"key": "HeartbeatInterval", "value": "120"},
    )
    end_by_answer(command, charger)
    command.refresh_from_db()
    assert command.payload == {"key": "HeartbeatInterval", "value": "120"}


def test_a_bulk_command_keeps_the_key_only_on_the_commands_that_still_have_to_send_it(charger) -> None:
    other = charge_point_register(charge_point_id="SECRET-2")

    batch, refused = command_batch_create(
        check_payload=request_problem, charge_points=[charger, other], action="ChangeConfiguration", payload=SET_KEY
    )

    assert refused == {}
    assert SECRET not in str(CommandBatch.objects.filter(pk=batch.pk).values().get())
    assert all(command.payload == SET_KEY for command in batch.commands.all())


def test_a_configuration_read_back_never_stores_the_key(charger) -> None:
    command = command_create(check_payload=request_problem, charge_point=charger, action="GetConfiguration", payload={})
    command_claim_next(charge_point_pk=charger.pk, unique_id="u-get")

    command_record_answer(
        command_pk=command.pk,
        answer=answer_read(
            action="GetConfiguration",
            request={},
            response={
                "configurationKey": [
                    {"key": "AuthorizationKey", "readonly": False, "value": SECRET},
                    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                ]
            },
        ),
    )

    assert SECRET not in stored(command)
    values = dict(ConfigurationKey.objects.filter(charge_point=charger).values_list("key", "value"))
    assert values == {"AuthorizationKey": None, "HeartbeatInterval": "300"}


# --- What the API and the admin show ----------------------------------------------------------------------


def test_the_api_never_shows_the_key_of_a_queued_command(charger) -> None:
    client = token_client(OperatorFactory())

    posted = client.post(
        f"/api/v1/chargers/{charger.charge_point_id}/commands/",
        {"action": "ChangeConfiguration", "payload": SET_KEY},
        format="json",
    )
    command_id = posted.json()["id"]
    shown = [
        posted.content,
        client.get(f"/api/v1/commands/{command_id}/").content,
        client.get("/api/v1/commands/").content,
        client.get(f"/api/v1/chargers/{charger.charge_point_id}/commands/").content,
    ]

    assert posted.status_code == 202
    assert posted.json()["payload"]["key"] == "AuthorizationKey"
    assert all(SECRET.encode() not in body for body in shown)
    assert SECRET in stored(Command.objects.get(pk=command_id))  # still to be sent


def test_a_bulk_command_through_the_api_shows_no_key(charger) -> None:
    client = token_client(OperatorFactory())

    posted = client.post(
        "/api/v1/commands/bulk/",
        {"action": "ChangeConfiguration", "payload": SET_KEY, "target": {"charge_point_ids": ["SECRET-1"]}},
        format="json",
    )

    assert posted.status_code == 202
    assert SECRET.encode() not in posted.content
    assert SECRET.encode() not in client.get(f"/api/v1/command-batches/{posted.json()['id']}/").content


def test_a_key_is_not_scheduled_where_it_would_be_kept_in_clear(charger) -> None:
    client = token_client(OperatorFactory())

    response = client.post(
        "/api/v1/command-schedules/",
        {
            "name": "rotate keys",
            "cron": "0 3 * * *",
            "action": "ChangeConfiguration",
            "payload": SET_KEY,
            "target": {"charge_point_ids": ["SECRET-1"]},
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["payload"]
    assert "AuthorizationKey" in response.json()["payload"][0]


def test_the_admin_never_shows_the_key_of_a_queued_command(client, charger) -> None:
    command = queue_key_change(charger)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "a-long-password-1"))

    pages = [
        client.get("/admin/chargers/command/"),
        client.get(f"/admin/chargers/command/{command.pk}/change/"),
        client.get(f"/admin/chargers/chargepoint/{charger.pk}/change/"),
        client.get(f"/chargers/{charger.charge_point_id}/"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert all(SECRET not in page.content.decode() for page in pages)
    assert "AuthorizationKey" in pages[1].content.decode()


def test_keys_left_in_clear_by_earlier_versions_are_scrubbed_by_a_migration(charger) -> None:
    migration = importlib.import_module("chargers.migrations.0006_scrub_command_secrets")
    ended = Command.objects.create(
        charge_point=charger, action="ChangeConfiguration", payload=SET_KEY, status=CommandStatus.ACCEPTED
    )
    waiting = Command.objects.create(charge_point=charger, action="ChangeConfiguration", payload=SET_KEY)
    batch = CommandBatch.objects.create(action="ChangeConfiguration", payload=SET_KEY)

    migration.scrub(apps, None)

    assert SECRET not in stored(ended)
    assert SECRET not in str(CommandBatch.objects.filter(pk=batch.pk).values().get())
    assert SECRET in stored(waiting)  # still to be sent
