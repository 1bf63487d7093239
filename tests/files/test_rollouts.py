"""Rollout rules without servers: who is in a rollout, waves, retries, the failure threshold, pause and resume, and
an UpdateFirmware that ends unaccepted. The sender is command_create itself (queued commands, nothing dispatched)."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from chargers.commands.services import command_create
from chargers.files.models import FirmwareRollout, RolloutStatus
from chargers.files.services import (
    firmware_create,
    rollout_advance,
    rollout_command_ended,
    rollout_create,
    rollout_firmware_status,
    rollout_resume,
)
from chargers.models import Command
from chargers.ocpp.results import request_problem
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

send = partial(command_create, check_payload=request_problem, dispatch=False)


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    settings.FILES_ROOT = tmp_path


@pytest.fixture
def firmware():
    return firmware_create(chunks=[b"fw"], file_name="f.zip", version="1.12", model="INCH")


@pytest.fixture
def fleet():
    return [ChargePointFactory(charge_point_id=f"RU-{n}", model="INCH") for n in range(4)]


def advance(rollout: FirmwareRollout) -> FirmwareRollout:
    return rollout_advance(rollout_pk=rollout.pk, send=send)


def statuses(rollout: FirmwareRollout) -> dict[str, str]:
    return dict(rollout.chargers.values_list("charge_point__charge_point_id", "status"))


def finish(charge_point, status: str = "Installed") -> list[int]:
    return rollout_firmware_status(charge_point_pk=charge_point.pk, status=status)


def test_a_rollout_waits_for_its_start_time_then_sends_a_wave_at_a_time(firmware, fleet) -> None:
    later = timezone.now() + timedelta(hours=1)
    rollout = rollout_create(firmware=firmware, target={"model": "INCH"}, batch_size=2, start_time=later)
    assert advance(rollout).status == RolloutStatus.SCHEDULED and not Command.objects.exists()
    rollout_advance(rollout_pk=rollout.pk, send=send, now=later)
    assert statuses(rollout) == {"RU-0": "sent", "RU-1": "sent", "RU-2": "pending", "RU-3": "pending"}
    sent = Command.objects.get(charge_point=fleet[0])
    assert sent.action == "UpdateFirmware" and "firmware_id" not in sent.payload and sent.requested_via == "rollout"
    finish(fleet[0], "Downloading")
    assert finish(fleet[0]) == [rollout.pk]
    rollout_advance(rollout_pk=rollout.pk, send=send, now=later)
    assert statuses(rollout)["RU-2"] == "pending"  # RU-1 is still in flight
    finish(fleet[1])
    rollout_advance(rollout_pk=rollout.pk, send=send, now=later)
    assert statuses(rollout) == {"RU-0": "installed", "RU-1": "installed", "RU-2": "sent", "RU-3": "sent"}
    finish(fleet[2]), finish(fleet[3])
    assert rollout_advance(rollout_pk=rollout.pk, send=send, now=later).status == RolloutStatus.COMPLETED


def test_a_failed_charger_is_retried_and_a_rejected_command_counts_as_a_failure(firmware, fleet) -> None:
    rollout = rollout_create(
        firmware=firmware,
        target={"charge_point_ids": ["RU-0", "RU-1"]},
        batch_size=2,
        start_time=timezone.now(),
        retries=1,
    )
    advance(rollout)
    finish(fleet[0], "DownloadFailed")
    command = rollout.chargers.get(charge_point=fleet[1]).command
    assert rollout_command_ended(command_pk=command.pk, status="rejected") == [rollout.pk]
    advance(rollout)
    rows = {row.charge_point.charge_point_id: row for row in rollout.chargers.select_related("charge_point")}
    assert [(rows[n].status, rows[n].attempts) for n in ("RU-0", "RU-1")] == [("sent", 2), ("sent", 2)]


def test_past_the_failure_rate_it_pauses_and_resuming_forgives_those_failures(firmware, fleet) -> None:
    rollout = rollout_create(
        firmware=firmware, target={"model": "INCH"}, batch_size=2, start_time=timezone.now(), max_failure_rate=0.4
    )
    advance(rollout)
    finish(fleet[0], "InstallationFailed")
    finish(fleet[1])
    rollout = advance(rollout)
    assert rollout.status == RolloutStatus.PAUSED and "50%" in rollout.reason
    assert statuses(rollout)["RU-2"] == "pending"
    rollout_resume(rollout=rollout)
    assert advance(rollout).status == RolloutStatus.RUNNING
    assert statuses(rollout)["RU-2"] == "sent"


def test_the_api_refuses_a_rollout_without_chargers_or_with_both_a_list_and_a_filter(firmware, fleet) -> None:
    client = token_client(OperatorFactory())
    base = {"firmware": firmware.pk, "batch_size": 2}
    both = client.post(
        "/api/v1/firmware-rollouts/", {**base, "charge_point_ids": ["RU-0"], "filter": {"model": "INCH"}}, format="json"
    )
    assert both.status_code == 400 and "charge_point_ids" in both.json()
    nobody = client.post("/api/v1/firmware-rollouts/", {**base, "filter": {"model": "NOPE"}}, format="json")
    assert nobody.status_code == 400 and nobody.json()["target"] == ["no charger matches"]
    typo = client.post("/api/v1/firmware-rollouts/", {**base, "filter": {"modle": "INCH"}}, format="json")
    assert typo.status_code == 400 and "unknown filter" in typo.json()["target"][0]
    rate = client.post(
        "/api/v1/firmware-rollouts/", {**base, "charge_point_ids": ["RU-0"], "max_failure_rate": 2}, format="json"
    )
    assert rate.status_code == 400 and "max_failure_rate" in rate.json()
    assert not FirmwareRollout.objects.exists()


def test_the_pages_show_each_rollout_s_progress_charger_by_charger(client, firmware, fleet) -> None:
    rollout = rollout_create(firmware=firmware, target={"model": "INCH"}, batch_size=2, start_time=timezone.now())
    advance(rollout)
    finish(fleet[0])
    client.force_login(OperatorFactory())
    listing = client.get("/firmware/").content.decode()
    assert f"/firmware/rollouts/{rollout.pk}/" in listing and "installed 1" in listing and "pending 2" in listing
    detail = client.get(f"/firmware/rollouts/{rollout.pk}/").content.decode()
    for charge_point_id, status in (("RU-0", "installed"), ("RU-1", "sent"), ("RU-3", "pending")):
        assert f"{charge_point_id}</a></td>\n    <td>{status}</td>" in detail
    client.force_login(UserFactory())
    assert client.get(f"/firmware/rollouts/{rollout.pk}/").status_code == 403


def test_an_operator_pauses_and_resumes_a_rollout_with_patch(firmware, fleet) -> None:
    rollout = rollout_create(firmware=firmware, target={"model": "INCH"}, batch_size=2, start_time=timezone.now())
    client = token_client(OperatorFactory())
    url = f"/api/v1/firmware-rollouts/{rollout.pk}/"
    assert client.patch(url, {"status": "paused"}, format="json").json()["status"] == "paused"
    assert advance(rollout).status == RolloutStatus.PAUSED and not Command.objects.exists()
    assert client.patch(url, {"status": "completed"}, format="json").status_code == 400
    assert client.patch(url, {"status": "running"}, format="json").json()["status"] == "running"
    assert advance(rollout).status == RolloutStatus.RUNNING and Command.objects.count() == 2
