"""Celery tasks of load management: a round for one site (queued by the subscribers on the events that change the
picture), beat's round over every managed site, and a charger's default profile when it connects."""

from celery import shared_task

from transactions.load import selectors, services
from transactions.sites.models import Site


@shared_task(ignore_result=True)
def site_load_balance(site_pk: int) -> int:
    site = Site.objects.filter(pk=site_pk).first()
    return len(services.site_load_balance(site=site)) if site is not None else 0


@shared_task(ignore_result=True)
def load_balance_round() -> int:
    """Every few seconds (portal/settings.py CELERY_BEAT_SCHEDULE): what no event announced (a circuit's limit
    changed, a profile expired unanswered) is caught up here."""
    services.load_history_prune()
    return sum(site_load_balance(pk) for pk in selectors.managed_site_pks())


@shared_task(ignore_result=True)
def charger_default_profile(charge_point_pk: int) -> bool:
    return services.charger_default_profile_send(charge_point_pk=charge_point_pk) is not None
