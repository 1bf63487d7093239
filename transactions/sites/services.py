"""Writes for sites: create and edit one, with the chargers that stand there."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from chargers.models import ChargePoint
from transactions.sites.models import Site

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
        if charge_points is not None:
            pks = [cp.pk for cp in charge_points]
            ChargePoint.objects.filter(site=site).exclude(pk__in=pks).update(site=None)
            ChargePoint.objects.filter(pk__in=pks).update(site=site)
    return site


def site_delete(*, site: Site) -> None:
    """Remove a site and its circuits; their chargers stay, standing nowhere (ChargePoint.site is SET_NULL)."""
    site.delete()
