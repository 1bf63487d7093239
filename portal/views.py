"""Portal-wide pages: the dashboard, first-run setup and the health check."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chargers.selectors import CHARGING_STATUSES, FAULTED_STATUSES, FLEET_STATES, dashboard_summary
from live.selectors import fleet_overview
from portal.health import health_report
from portal.selectors import dashboard_figures


def _no_operator_yet() -> bool:
    return not get_user_model().objects.exists()


def dashboard(request: HttpRequest) -> HttpResponse:
    """The operator's start page; before any account exists, the way to create the first one."""
    if _no_operator_yet():
        return redirect("first-operator")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        # The fleet is operators' business; customers get their own pages.
        raise PermissionDenied
    figures = dashboard_figures(now=timezone.now())
    context = {
        "summary": dashboard_summary(),
        "fleet": fleet_overview(),
        "figures": figures,
        "states": [(state, figures["states"][state]) for state in FLEET_STATES],
        # The page's script counts chargers by state with the same rule as chargers/selectors.py.
        "state_rule": {
            "charging": CHARGING_STATUSES,
            "faulted": FAULTED_STATUSES,
            "pending": figures["pending_pks"],
        },
        "may_accept": request.user.has_perm("chargers.change_chargepoint"),
        "live_feeds": ["fleet"],
    }
    return render(request, "portal/dashboard.html", context)


class FirstOperatorForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


def first_operator(request: HttpRequest) -> HttpResponse:
    """Only while no account exists: the first visitor creates the first operator (a superuser)."""
    if not _no_operator_yet():
        return redirect("dashboard")
    form = FirstOperatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        user.save()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect("dashboard")
    return render(request, "portal/first_operator.html", {"form": form})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report(connection=connection)
    return JsonResponse(report, status=200 if report["ok"] else 503)
