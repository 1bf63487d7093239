"""In-process listeners that move firmware rollouts along: a charger's FirmwareStatusNotification, and the end of a
rollout's UpdateFirmware command. Cheap here (one UPDATE); the next wave is sent by a Celery task."""

from collections.abc import Sequence

from chargers.files import services, tasks
from core import events

NAMES = ("charger.firmware_status", "command.finished")


def rollouts_follow(batch: Sequence[events.Event]) -> None:
    to_advance: set[int] = set()
    for event in batch:
        if event.name == "charger.firmware_status":
            to_advance.update(
                services.rollout_firmware_status(charge_point_pk=event.charge_point_pk, status=event.status)
            )
        elif event.action == "UpdateFirmware":
            to_advance.update(services.rollout_command_ended(command_pk=event.command_pk, status=event.status))
    for rollout_pk in sorted(to_advance):
        tasks.rollout_advance.delay(rollout_pk)


def subscribe_all() -> None:
    events.subscribe(rollouts_follow, names=NAMES)
