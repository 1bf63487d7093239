"""The charger list and a charger's page, with the forms posted from it: its model profile, one of the model's
DataTransfer messages, one of the page's operations (chargers/pages/operations.py).

Thin: parse, call a service or selector, render. Every page needs a staff login, and a page that changes
something also the model permission the admin would ask for (viewers have none: portal/backends.py). The
profile pages themselves are in chargers/profiles/views.py.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chargers.commands.services import command_create
from chargers.models import ChargePoint, DataTransferSpec, RegistrationStatus
from chargers.ocpp.results import request_problem
from chargers.pages.context import charge_point_context
from chargers.pages.filters import ChargePointFilterForm
from chargers.pages.operations import may_send, operation_or_404, operation_submit
from chargers.profiles.forms import ChargePointProfileForm, data_transfer_form_class, data_transfer_payload
from chargers.profiles.services import charge_point_set_charger_model
from chargers.selectors import CHARGING_STATUSES, FAULTED_STATUSES, charge_point_search
from portal.decorators import operator_required

LIST_LIMIT = 500
DETAIL = "chargers/charge_point_detail.html"


@staff_member_required  # as the profile pages: a customer is sent to log in as staff
def charge_point_list(request: HttpRequest) -> HttpResponse:
    form = ChargePointFilterForm(request.GET or None)
    charge_points = charge_point_search()
    if form.is_bound and form.is_valid():
        charge_points = charge_point_search(**form.search_keywords())
    status = 400 if form.is_bound and not form.is_valid() else 200
    shown = list(charge_points.prefetch_related("connectors")[: LIST_LIMIT + 1])
    context = {
        "form": form,
        "charge_points": shown[:LIST_LIMIT],
        "more": len(shown) > LIST_LIMIT,
        "live_feeds": ["fleet"],
        "state_rule": {
            "charging": CHARGING_STATUSES,
            "faulted": FAULTED_STATUSES,
            "pending": [cp.pk for cp in shown if cp.registration_status == RegistrationStatus.PENDING],
        },
    }
    return render(request, "chargers/charge_point_list.html", context, status=status)


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint.objects.select_related("charger_model"), charge_point_id=charge_point_id)


@operator_required
def charge_point_detail(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    return render(request, DETAIL, charge_point_context(charge_point, user=request.user))


@operator_required
@require_POST
def charge_point_operate(request: HttpRequest, charge_point_id: str, action: str) -> HttpResponse:
    """Send one of the page's operations (RemoteStop, Reset, GetConfiguration, ...) through the command
    services, as the API does."""
    operation_or_404(action)
    if not may_send(request.user):
        raise PermissionDenied
    charge_point = _charge_point(charge_point_id)
    form, command = operation_submit(request=request, charge_point=charge_point, action=action)
    if command is not None:
        messages.success(request, f"{action} queued (command #{command.pk}); its answer shows below.")
        return redirect("chargers:charge-point-detail", charge_point_id=charge_point.charge_point_id)
    context = charge_point_context(charge_point, user=request.user, bound_operation=(action, form))
    return render(request, DETAIL, context, status=400)


@staff_member_required
@permission_required("chargers.change_chargepoint", raise_exception=True)
@require_POST
def charge_point_set_profile(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    form = ChargePointProfileForm(request.POST)
    if form.is_valid():
        chosen = form.cleaned_data["charger_model"]
        override = form.cleaned_data["override"] and chosen is not None
        charge_point_set_charger_model(charge_point=charge_point, charger_model=chosen, override=override)
        messages.success(
            request,
            f"{charge_point}: {chosen or 'no profile'}"
            + (" (kept over boots)" if override else " (matched again at the next boot)"),
        )
        return redirect("chargers:charge-point-detail", charge_point_id=charge_point.charge_point_id)
    return render(request, DETAIL, charge_point_context(charge_point, user=request.user, profile_form=form), status=400)


@staff_member_required
@permission_required("chargers.add_command", raise_exception=True)
@require_POST
def data_transfer_check(request: HttpRequest, charge_point_id: str, spec_pk: int) -> HttpResponse:
    """Validate a DataTransfer form of the charger's model and queue it as a command."""
    charge_point = _charge_point(charge_point_id)
    spec = get_object_or_404(DataTransferSpec, pk=spec_pk, profile=charge_point.charger_model)
    form = data_transfer_form_class(message=spec)(request.POST, prefix=f"dt{spec.pk}")
    if form.is_valid():
        payload = data_transfer_payload(message=spec, cleaned_data=form.cleaned_data)
        try:
            command = command_create(
                charge_point=charge_point,
                action="DataTransfer",
                payload=payload,
                check_payload=request_problem,
                requested_by=request.user,
                requested_via="web",
            )
        except ValidationError as error:
            form.add_error(None, "; ".join(m for ms in error.message_dict.values() for m in ms))
        else:
            messages.success(request, f"{spec.message_id} queued (command #{command.pk})")
            return redirect("chargers:charge-point-detail", charge_point_id=charge_point.charge_point_id)
    context = charge_point_context(charge_point, user=request.user)
    context["data_transfer_forms"] = [(s, form if s.pk == spec.pk else f) for s, f in context["data_transfer_forms"]]
    return render(request, DETAIL, context, status=400)
