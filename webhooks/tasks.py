"""Celery tasks of the webhooks: fan a batch of published events out into deliveries, attempt deliveries, and
beat's housekeeping (the sweep for what is due or lost, and retention)."""

from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def events_deliver(envelopes: list[dict]) -> int:
    """The bus's outbound sink: envelopes of one committed batch (core.events.envelope)."""
    return services.deliveries_create(envelopes=envelopes)


@shared_task(ignore_result=True)
def deliveries_send(delivery_ids: list[int]) -> None:
    services.deliveries_attempt(delivery_ids=delivery_ids)


@shared_task(ignore_result=True)
def webhooks_housekeeping() -> dict[str, int]:
    return services.deliveries_sweep()


@shared_task(ignore_result=True)
def deliveries_retention() -> int:
    return services.deliveries_prune()
