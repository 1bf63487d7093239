"""The command pipeline's rules, without sockets: what is refused before queuing, claims, expiry, cancel."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers.commands.pipeline import (
    command_claim_next,
    command_record_answer,
    command_record_failure,
    command_unclaim,
    commands_expire,
    commands_reap,
)
from chargers.commands.selectors import charge_points_matching
from chargers.commands.services import command_batch_create, command_cancel, command_create, command_schedule_create
from chargers.commands.tasks import command_schedule_run, commands_dispatch
from chargers.models import ChargePoint, Command, CommandStatus, RegistrationStatus, Reservation
from chargers.ocpp.results import answer_read, request_problem
from chargers.services import charge_point_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def charger():
    return charge_point_register(charge_point_id="CMD-UNIT-1")


def test_an_unknown_operation_is_refused_naming_the_action(charger) -> None:
    with pytest.raises(ValidationError) as error:
        command_create(check_payload=request_problem, charge_point=charger, action="Explode", payload={})
    assert "action" in error.value.message_dict
    assert not Command.objects.exists()


def test_a_payload_missing_a_required_field_is_refused_naming_the_field(charger) -> None:
    with pytest.raises(ValidationError) as error:
        command_create(
            check_payload=request_problem, charge_point=charger, action="ChangeAvailability", payload={"connectorId": 1}
        )
    assert error.value.message_dict["payload"] == ["type: this field is required"]
    assert not Command.objects.exists()


def test_a_payload_with_a_wrong_type_is_refused_naming_the_field(charger) -> None:
    with pytest.raises(ValidationError) as error:
        command_create(
            check_payload=request_problem,
            charge_point=charger,
            action="UnlockConnector",
            payload={"connectorId": "one"},
        )
    assert error.value.message_dict["payload"][0].startswith("connectorId:")


def test_a_pending_charger_gets_no_remote_start(charger) -> None:
    charger.registration_status = RegistrationStatus.PENDING
    with pytest.raises(ValidationError, match="Pending"):
        command_create(
            check_payload=request_problem,
            charge_point=charger,
            action="RemoteStartTransaction",
            payload={"idTag": "AABB"},
        )


def test_a_pending_charger_may_still_be_configured(charger) -> None:
    charger.registration_status = RegistrationStatus.PENDING
    command = command_create(check_payload=request_problem, charge_point=charger, action="GetConfiguration", payload={})
    assert command.status == CommandStatus.QUEUED


def test_a_rejected_charger_takes_no_command(charger) -> None:
    charger.registration_status = RegistrationStatus.REJECTED
    with pytest.raises(ValidationError, match="rejected"):
        command_create(check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"})


def test_boot_notification_may_not_be_triggered_once_accepted(charger) -> None:
    with pytest.raises(ValidationError, match="BootNotification"):
        command_create(
            check_payload=request_problem,
            charge_point=charger,
            action="TriggerMessage",
            payload={"requestedMessage": "BootNotification"},
        )


def test_a_reservation_gets_its_id_from_the_portal(charger) -> None:
    expiry = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="ReserveNow",
        payload={"connectorId": 1, "expiryDate": expiry, "idTag": "AB12"},
    )
    assert command.payload["reservationId"] == Reservation.objects.get().pk


def test_a_command_is_claimed_once_and_in_order(charger) -> None:
    first = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    second = command_create(
        check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"}
    )
    claimed = command_claim_next(charge_point_pk=charger.pk, unique_id="u1")
    assert claimed.pk == first.pk
    again = command_claim_next(charge_point_pk=charger.pk, unique_id="u2")
    assert again.pk == second.pk
    assert command_claim_next(charge_point_pk=charger.pk, unique_id="u3") is None
    first.refresh_from_db()
    assert (first.status, first.unique_id, first.attempts) == (CommandStatus.SENT, "u1", 1)


def test_an_expired_command_is_closed_instead_of_claimed(charger) -> None:
    stale = command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="Reset",
        payload={"type": "Soft"},
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert command_claim_next(charge_point_pk=charger.pk, unique_id="u") is None
    stale.refresh_from_db()
    assert stale.status == CommandStatus.EXPIRED


def test_a_scheduled_command_waits_for_its_time(charger) -> None:
    command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="Reset",
        payload={"type": "Soft"},
        not_before=timezone.now() + timedelta(hours=3),
    )
    assert command_claim_next(charge_point_pk=charger.pk, unique_id="u") is None


def test_only_a_queued_command_can_be_cancelled(charger) -> None:
    queued = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    sent = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    assert command_cancel(command=queued)
    command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    assert not command_cancel(command=sent)
    assert Command.objects.get(pk=queued.pk).status == CommandStatus.CANCELLED
    assert Command.objects.get(pk=sent.pk).status == CommandStatus.SENT


def reset_answer(response: dict):
    return answer_read(action="Reset", request={"type": "Soft"}, response=response)


def test_answers_decide_accepted_or_rejected_and_a_malformed_answer_is_kept(charger) -> None:
    ok = command_create(check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"})
    no = command_create(check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"})
    odd = command_create(check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"})
    for _ in range(3):
        command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    assert (
        command_record_answer(command_pk=ok.pk, answer=reset_answer({"status": "Accepted"})) == CommandStatus.ACCEPTED
    )
    assert (
        command_record_answer(command_pk=no.pk, answer=reset_answer({"status": "Rejected"})) == CommandStatus.REJECTED
    )
    command_record_answer(command_pk=odd.pk, answer=reset_answer({"status": "Accepted", "extra": 1}))
    odd.refresh_from_db()
    assert odd.response == {"status": "Accepted", "extra": 1}
    assert "schema" in odd.error_description


def test_a_failure_is_recorded_only_for_a_sent_command(charger) -> None:
    queued = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    command_record_failure(command_pk=queued.pk, status=CommandStatus.FAILED, description="x")
    queued.refresh_from_db()
    assert queued.status == CommandStatus.QUEUED


def test_housekeeping_expires_queued_and_reaps_abandoned_sent_commands(charger) -> None:
    old = command_create(
        check_payload=request_problem, charge_point=charger, action="ClearCache", payload={}, expires_at=timezone.now()
    )
    abandoned = command_create(
        check_payload=request_problem, charge_point=charger, action="Reset", payload={"type": "Soft"}
    )
    Command.objects.filter(pk=abandoned.pk).update(
        status=CommandStatus.SENT, sent_at=timezone.now() - timedelta(hours=1)
    )
    assert commands_expire() == 1
    assert commands_reap() == 1
    assert Command.objects.get(pk=old.pk).status == CommandStatus.EXPIRED
    assert Command.objects.get(pk=abandoned.pk).status == CommandStatus.FAILED


def test_a_bulk_command_skips_and_reports_chargers_that_cannot_take_it(charger) -> None:
    pending = charge_point_register(charge_point_id="CMD-UNIT-2", registration_status=RegistrationStatus.PENDING)
    batch, refused = command_batch_create(
        check_payload=request_problem,
        charge_points=[charger, pending],
        action="RemoteStartTransaction",
        payload={"idTag": "AABB"},
    )
    assert list(batch.commands.values_list("charge_point__charge_point_id", flat=True)) == ["CMD-UNIT-1"]
    assert list(refused) == ["CMD-UNIT-2"]


def test_a_bulk_target_filter_selects_by_model_and_firmware(charger) -> None:
    ChargePoint.objects.filter(pk=charger.pk).update(vendor="Etrel", firmware_version="1.12")
    other = charge_point_register(charge_point_id="CMD-UNIT-3")
    ChargePoint.objects.filter(pk=other.pk).update(vendor="Etrel", firmware_version="1.11")
    matched = charge_points_matching(target={"vendor": "etrel", "firmware_version": "1.12"})
    assert [c.charge_point_id for c in matched] == ["CMD-UNIT-1"]


def test_a_misspelt_bulk_filter_is_refused_rather_than_matching_everything() -> None:
    with pytest.raises(ValueError, match="firmware"):
        charge_points_matching(target={"firmwre": "1.12"})
    with pytest.raises(ValueError):
        charge_points_matching(target={})


def test_a_nightly_reset_is_scheduled_and_creates_a_batch_when_it_fires(charger) -> None:
    from django_celery_beat.models import PeriodicTask

    task = command_schedule_create(
        check_payload=request_problem,
        name="nightly reset",
        cron="0 3 * * *",
        action="Reset",
        payload={"type": "Soft"},
        target={"charge_point_ids": ["CMD-UNIT-1"]},
    )
    stored = PeriodicTask.objects.get(pk=task.pk)
    assert (stored.crontab.minute, stored.crontab.hour, stored.task) == (
        "0",
        "3",
        "chargers.tasks.command_schedule_run",
    )
    import json

    result = command_schedule_run(**json.loads(stored.kwargs))
    command = Command.objects.get(batch_id=result["batch"])
    assert (command.charge_point_id, command.requested_via, command.action) == (charger.pk, "schedule", "Reset")


def test_a_schedule_with_a_bad_cron_or_payload_is_refused_field_by_field() -> None:
    with pytest.raises(ValidationError) as error:
        command_schedule_create(
            check_payload=request_problem,
            name="x",
            cron="every night",
            action="Reset",
            payload={},
            target={"vendor": "Etrel"},
        )
    assert set(error.value.message_dict) == {"cron", "payload"}


def test_a_claimed_command_that_never_went_out_is_queued_again(charger) -> None:
    command = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    command_claim_next(charge_point_pk=charger.pk, unique_id="u")
    command_unclaim(command_pk=command.pk)
    command.refresh_from_db()
    assert (command.status, command.attempts, command.sent_at) == (CommandStatus.QUEUED, 0, None)
    assert command_claim_next(charge_point_pk=charger.pk, unique_id="v").pk == command.pk


class RecordingLayer:
    """Stands in for the channel layer: notes what is sent where."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def send(self, channel: str, message: dict) -> None:
        self.sent.append((channel, message))


@pytest.fixture
def wire(monkeypatch):
    """What leaves the process once a command is committed: channel-layer messages and Celery tasks."""
    from chargers import layer

    recording = RecordingLayer()
    tasks: list[tuple[list, object]] = []

    def apply_async(args=None, kwargs=None, **options) -> None:
        tasks.append((list(args), options.get("eta")))

    monkeypatch.setattr(layer, "get_channel_layer", lambda: recording)
    monkeypatch.setattr(commands_dispatch, "apply_async", apply_async)
    return recording.sent, tasks


def test_each_command_is_poked_once_a_single_one_from_here_a_batch_or_a_scheduled_one_by_a_worker(
    charger, wire, django_capture_on_commit_callbacks
) -> None:
    from chargers.services import charge_point_connected

    sent, tasks = wire
    charge_point_connected(charge_point=charger, channel_name="specific.abc!def", remote_addr="")
    with django_capture_on_commit_callbacks(execute=True):
        now = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
    assert sent == [("specific.abc!def", {"type": "ocpp.command", "command_ids": [now.pk]})]
    assert tasks == []

    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = command_create(
            check_payload=request_problem, charge_point=charger, action="ClearCache", payload={}, not_before=later
        )
        batch, _ = command_batch_create(
            check_payload=request_problem, charge_points=[charger], action="Reset", payload={"type": "Soft"}
        )
    assert len(sent) == 1
    assert tasks == [([[scheduled.pk]], later), ([[batch.commands.get().pk]], None)]
