"""The alerts pages: the list (open first, live), acknowledging one, and an operator's own subscription.

Operators with the view permission see them (viewers too); acknowledging needs the change permission, which
viewers never have (portal/backends.py); customers get 403.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts import selectors, services
from alerts.forms import SubscriptionForm
from alerts.models import Alert, AlertKind, all_kinds
from portal.decorators import operator_required

VIEW, CHANGE = "alerts.view_alert", "alerts.change_alert"


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@operator_required
def alert_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    page = selectors.alert_page()
    context = {
        "open_alerts": page.open_alerts,
        "open_count": page.open_count,
        "cleared_alerts": page.cleared_alerts,
        "may_acknowledge": request.user.has_perm(CHANGE),
        "kinds": dict(AlertKind.choices),
        # New alerts arrive on the fleet's feed (alert.raised, alert.cleared).
        "live_feeds": ["fleet"],
    }
    return render(request, "alerts/alert_list.html", context)


@require_POST
@operator_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CHANGE)
    services.alert_acknowledge(alert=get_object_or_404(Alert, pk=pk), user=request.user)
    return redirect("alerts:alert-list")


@operator_required
def subscription(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    current = selectors.subscription_of(user=request.user)
    initial = (
        {"kinds": current.kinds, "sites": list(current.sites.all()), "email": current.email}
        if current
        else {"kinds": all_kinds(), "email": False}
    )
    form = SubscriptionForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_save(
                user=request.user,
                kinds=form.cleaned_data["kinds"],
                site_pks=[site.pk for site in form.cleaned_data["sites"]],
                email=form.cleaned_data["email"],
            )
            saved = True
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
    status = 400 if request.method == "POST" and not saved else 200
    return render(request, "alerts/subscription.html", {"form": form, "saved": saved}, status=status)
