"""Reads for sites: each with its live totals (power now, sessions running, chargers online of all), a site's
chargers and circuits. A site's totals include its circuits' chargers (a circuit is a part of its site)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet

from chargers.models import ChargePoint
from chargers.selectors import charge_point_list
from transactions.models import Transaction
from transactions.sites.models import Site


@dataclass
class SiteTotals:
    power_w: Decimal | None = None  # None: no charger of the site reports power
    sessions_running: int = 0
    chargers_online: int = 0
    chargers_total: int = 0
    charge_point_pks: list[int] = field(default_factory=list)

    def add(self, other: "SiteTotals") -> None:
        if other.power_w is not None:
            self.power_w = (self.power_w or Decimal(0)) + other.power_w
        self.sessions_running += other.sessions_running
        self.chargers_online += other.chargers_online
        self.chargers_total += other.chargers_total
        self.charge_point_pks += other.charge_point_pks


def site_list() -> QuerySet[Site]:
    return Site.objects.select_related("parent").annotate(circuit_count=Count("circuits"))


def site_totals() -> dict[int, SiteTotals]:
    """site pk -> its totals, its circuits' chargers counted in (one level: a circuit of a circuit counts in its
    parent only)."""
    own: dict[int, SiteTotals] = defaultdict(SiteTotals)
    chargers = charge_point_list().filter(site__isnull=False).values_list("pk", "site_id", "is_online", "live_power_w")
    for pk, site_id, online, power_w in chargers:
        totals = own[site_id]
        totals.add(SiteTotals(power_w, 0, int(online), 1, [pk]))
    running = (
        Transaction.objects.filter(stopped_at__isnull=True, charge_point__site__isnull=False)
        .values_list("charge_point__site_id")
        .annotate(count=Count("pk"))
    )
    for site_id, count in running:
        own[site_id].sessions_running += count
    parents = dict(Site.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    rolled: dict[int, SiteTotals] = defaultdict(SiteTotals)
    for site_id, totals in own.items():
        rolled[site_id].add(totals)
        if site_id in parents:
            rolled[parents[site_id]].add(totals)
    return rolled


def site_charge_points(*, site: Site) -> QuerySet[ChargePoint]:
    """The chargers of the site and of its circuits, with their connectors and live power."""
    return charge_point_list().filter(site__in=[site, *site.circuits.all()]).select_related("site")


def sites_of_chargers(*, totals: dict[int, SiteTotals]) -> dict[int, list[int]]:
    """charger pk -> the sites it counts in (its own, and the site its circuit belongs to): the live list page
    adds the fleet feed's readings up with it."""
    sites: dict[int, list[int]] = defaultdict(list)
    for site_pk, site_totals_ in totals.items():
        for charge_point_pk in site_totals_.charge_point_pks:
            sites[charge_point_pk].append(site_pk)
    return dict(sites)
