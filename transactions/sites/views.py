"""Operator pages of sites: the list with live totals, one site (its chargers, circuits and grid limit), and
creating or editing one (operators with the permission; viewers only look)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from portal.decorators import operator_required
from transactions.sites import selectors
from transactions.sites.forms import SiteForm
from transactions.sites.models import Site
from transactions.sites.services import SITE_FIELDS, site_save

MAX_LIVE_CHARGERS = 50  # live/access.py watches at most 50 feeds per page


@operator_required
@permission_required("transactions.view_site", raise_exception=True)
def site_list(request: HttpRequest) -> HttpResponse:
    sites = list(selectors.site_list())
    totals = selectors.site_totals()
    context = {
        "rows": [(site, totals.get(site.pk)) for site in sites],
        "may_add": request.user.has_perm("transactions.add_site"),
        # The page sums the fleet feed per site: which charger counts in which sites.
        "site_of_charger": selectors.sites_of_chargers(totals=totals),
        "live_feeds": ["fleet"],
    }
    return render(request, "sites/site_list.html", context)


@operator_required
@permission_required("transactions.view_site", raise_exception=True)
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(selectors.site_list(), pk=pk)
    charge_points = list(selectors.site_charge_points(site=site))
    context = {
        "site": site,
        "totals": selectors.site_totals().get(site.pk),
        "charge_points": charge_points,
        "circuits": site.circuits.all(),
        "may_change": request.user.has_perm("transactions.change_site"),
        "live_feeds": [f"charger:{cp.pk}" for cp in charge_points[:MAX_LIVE_CHARGERS]],
        # The totals follow the chargers' feeds as on the list (static/js/records-sites.js).
        "site_of_charger": {cp.pk: [site.pk] for cp in charge_points[:MAX_LIVE_CHARGERS]},
    }
    return render(request, "sites/site_detail.html", context)


def _edit(request: HttpRequest, site: Site | None) -> HttpResponse:
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        saved = site_save(
            site=site,
            **{name: form.cleaned_data[name] for name in SITE_FIELDS},
            charge_points=form.cleaned_data["charge_points"],
        )
        messages.success(request, f"Site {saved} saved.")
        return redirect("sites:site-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sites/site_form.html", {"form": form, "site": site}, status=status)


@operator_required
@permission_required("transactions.add_site", raise_exception=True)
def site_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@operator_required
@permission_required("transactions.change_site", raise_exception=True)
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Site, pk=pk))
