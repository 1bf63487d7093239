"""Celery tasks of chargers/files/: advancing firmware rollouts (at their start time, and whenever one of their
chargers finished), and beat's housekeeping."""

from functools import partial

from celery import shared_task

from chargers.commands.services import command_create
from chargers.files import selectors, services
from chargers.ocpp.results import request_problem


@shared_task(name="chargers.files.tasks.rollout_advance", ignore_result=True)
def rollout_advance(rollout_pk: int) -> str:
    rollout = services.rollout_advance(
        rollout_pk=rollout_pk, send=partial(command_create, check_payload=request_problem)
    )
    return rollout.status if rollout else "gone"


@shared_task(name="chargers.files.tasks.rollouts_housekeeping", ignore_result=True)
def rollouts_housekeeping() -> dict[str, int]:
    """Advance every rollout that should be moving (a start time whose message was lost, a lost event); mark
    diagnostics locations that outlived their time expired."""
    due = selectors.rollouts_due()
    for rollout_pk in due:
        rollout_advance(rollout_pk)
    return {"rollouts": len(due), "diagnostics_expired": services.diagnostics_expire()}
