"""Writes for sites: create and edit one, with the chargers that stand there."""

import logging
from collections.abc import Iterable
from decimal import Decimal

from celery import current_app
from django.db import transaction

from chargers.models import ChargePoint
from transactions.load.services import BALANCE_TASK
from transactions.sites.models import Site

logger = logging.getLogger(__name__)

# The fields an operator sets on a site, declared once (the form and the services use them).
SITE_FIELDS = ("name", "address", "parent", "grid_limit_a", "grid_limit_kw", "nominal_voltage_v", "timezone")


def site_save(
    *,
    site: Site | None = None,
    name: str,
    address: str = "",
    parent: Site | None = None,
    grid_limit_a: Decimal | None = None,
    grid_limit_kw: Decimal | None = None,
    nominal_voltage_v: int = 230,
    timezone: str = "",
    charge_points: Iterable[ChargePoint] | None = None,
) -> Site:
    """Create a site (site=None) or change one; with `charge_points`, exactly those chargers stand there
    afterwards (a charger moved here leaves its old site; one left out leaves this one)."""
    site = site or Site()
    values = {
        "name": name,
        "address": address,
        "parent": parent,
        "grid_limit_a": grid_limit_a,
        "grid_limit_kw": grid_limit_kw,
        "nominal_voltage_v": nominal_voltage_v,
        "timezone": timezone,
    }
    for name_, value in values.items():
        setattr(site, name_, value)
    site.full_clean()
    with transaction.atomic():
        site.save()
        touched = {site.pk}
        if charge_points is not None:
            pks = [cp.pk for cp in charge_points]
            touched |= set(ChargePoint.objects.filter(pk__in=pks, site__isnull=False).values_list("site_id", flat=True))
            ChargePoint.objects.filter(site=site).exclude(pk__in=pks).update(site=None)
            ChargePoint.objects.filter(pk__in=pks).update(site=site)
        # A limit or the chargers under it changed: the sites' rounds re-plan the chargers' safe defaults (and the
        # shares); the sites the chargers left too (fewer chargers there, larger defaults).
        transaction.on_commit(lambda: _rounds_queue(sorted(touched)))
    return site


def _rounds_queue(site_pks: list[int]) -> None:
    try:
        for site_pk in site_pks:
            current_app.send_task(BALANCE_TASK, args=[site_pk])
    except Exception:
        # The site is saved: the broker's trouble must not turn the answer into an error; beat's round (a site
        # with sessions) or the next charger that connects re-plans the defaults.
        logger.exception("load: no round queued for sites %s", site_pks)


def site_delete(*, site: Site) -> None:
    """Remove a site and its circuits; their chargers stay, standing nowhere (ChargePoint.site is SET_NULL)."""
    site.delete()
