"""Celery tasks of load management: a round for one site (queued by the subscribers on the events that change the
picture, and the chargers that connected: their default profiles), and beat's round over every managed site."""

from celery import shared_task

from transactions.load import selectors, services
from transactions.sites.models import Site


@shared_task(ignore_result=True)
def site_load_balance(site_pk: int, resend_defaults_to: list[int] | None = None) -> int:
    site = Site.objects.filter(pk=site_pk).first()
    if site is None:
        return 0
    return len(services.site_load_balance(site=site, resend_defaults_to=resend_defaults_to or ()))


@shared_task(ignore_result=True)
def load_balance_round() -> int:
    """Every few seconds (portal/settings.py CELERY_BEAT_SCHEDULE): what no event announced (a circuit's limit
    changed, a profile expired unanswered) is caught up here."""
    services.load_history_prune()
    services.load_defaults_release()
    return sum(site_load_balance(pk) for pk in selectors.managed_site_pks())
