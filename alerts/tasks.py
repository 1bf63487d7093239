"""Celery tasks of alerts: beat's sweep (what time alone tells: silent sessions, chargers of a site that stayed
offline alone) and the mail of one alert."""

from celery import shared_task

from alerts import services


@shared_task(ignore_result=True)
def alerts_sweep() -> dict[str, int]:
    return services.alerts_sweep()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def alert_mail(alert_pk: int) -> int:
    return services.alert_mail_send(alert_pk=alert_pk)
