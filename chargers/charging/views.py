"""The charging-profiles page of a charger (/chargers/<id>/charging-profiles/): its profiles and what the charger
answered, a form to send one, a button to clear one, and the last composite schedule as a chart. Staff see it;
sending and clearing take the ChargingProfile permissions, which viewers never have (portal/backends.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chargers.charging import selectors, services
from chargers.charging.forms import CompositeForm, ProfileForm
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from portal.decorators import operator_required

ADD_PERMISSION = "chargers.add_chargingprofile"
DELETE_PERMISSION = "chargers.delete_chargingprofile"
# Asking for the composite schedule sends a command.
ASK_PERMISSION = "chargers.add_command"
VIA = "web"


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint, charge_point_id=charge_point_id)


def _render(request: HttpRequest, charge_point: ChargePoint, **forms) -> HttpResponse:
    profiles = list(selectors.profiles_of_charge_point(charge_point=charge_point))
    replaced = selectors.profiles_replaced(profiles=profiles)
    composite = selectors.composite_last(charge_point=charge_point)
    context = {
        "charge_point": charge_point,
        "rows": [
            (p, selectors.profile_state(profile=p, replaced=replaced), selectors.periods_text(profile=p))
            for p in profiles
        ],
        "composite": composite,
        "series": selectors.composite_series(response=composite.response if composite else None),
        "may_add": request.user.has_perm(ADD_PERMISSION),
        "may_clear": request.user.has_perm(DELETE_PERMISSION),
        "may_ask": request.user.has_perm(ASK_PERMISSION),
        "profile_form": forms.get("profile_form") or ProfileForm(),
        "composite_form": forms.get("composite_form") or CompositeForm(),
    }
    return render(request, "charging/charging_profiles.html", context, status=400 if forms else 200)


@operator_required
def charging_profiles(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    """GET the page; POST sends the profile of the form (back to the page with the rule broken, if one is)."""
    charge_point = _charge_point(charge_point_id)
    if request.method != "POST":
        return _render(request, charge_point)
    if not request.user.has_perm(ADD_PERMISSION):
        raise PermissionDenied
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            profile = services.charging_profile_create(
                charge_point=charge_point,
                connector_id=form.cleaned_data["connector_id"],
                profile=form.profile(),
                check_payload=request_problem,
                requested_by=request.user,
                requested_via=VIA,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"Profile {profile.pk} queued (SetChargingProfile).")
            return redirect(request.path)
    return _render(request, charge_point, profile_form=form)


@operator_required
@require_POST
def charging_profile_clear(request: HttpRequest, charge_point_id: str, pk: int) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    if not request.user.has_perm(DELETE_PERMISSION):
        raise PermissionDenied
    profile = get_object_or_404(selectors.profiles_of_charge_point(charge_point=charge_point), pk=pk)
    try:
        services.charging_profile_clear(
            profile=profile, check_payload=request_problem, requested_by=request.user, requested_via=VIA
        )
    except ValidationError as error:
        messages.error(request, f"Profile {pk} not cleared: {'; '.join(error.messages)}")
    else:
        messages.success(request, f"Profile {pk}: ClearChargingProfile queued.")
    return redirect("charging:profiles", charge_point_id=charge_point_id)


@operator_required
@require_POST
def composite_ask(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    if not request.user.has_perm(ASK_PERMISSION):
        raise PermissionDenied
    form = CompositeForm(request.POST)
    if not form.is_valid():
        return _render(request, charge_point, composite_form=form)
    try:
        services.composite_request(
            charge_point=charge_point,
            connector_id=form.cleaned_data["connector_id"],
            duration_s=form.cleaned_data["duration_s"],
            rate_unit=form.cleaned_data["rate_unit"],
            check_payload=request_problem,
            requested_by=request.user,
            requested_via=VIA,
        )
    except ValidationError as error:
        messages.error(request, f"Not asked: {'; '.join(error.messages)}")
    else:
        messages.success(request, "GetCompositeSchedule queued: reload for the answer.")
    return redirect("charging:profiles", charge_point_id=charge_point_id)
