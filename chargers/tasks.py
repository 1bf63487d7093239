"""Celery tasks of the chargers app: message-log housekeeping (the command tasks are in chargers/commands/tasks.py,
under the names they had here)."""

from celery import shared_task

from chargers.services.message_log import message_log_prune


@shared_task(ignore_result=True)
def message_log_housekeeping() -> int:
    return message_log_prune()
