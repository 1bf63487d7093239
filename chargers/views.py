"""Operator pages of chargers: the list, a charger's page (with its model profile's labels, operations and
DataTransfer forms), the operator's choice of its profile, and sending one of its DataTransfer messages.

Thin: parse, call a service or selector, render; every page needs a staff login, and a page that changes
something also the model permission the admin would ask for (viewers have none: portal/roles.py). The profile
pages themselves are in chargers/profiles/views.py.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chargers.commands.services import command_create
from chargers.models import ChargePoint, ChargerModel, DataTransferSpec
from chargers.ocpp.results import request_problem
from chargers.profiles import selectors as profile_selectors
from chargers.profiles.forms import ChargePointProfileForm, data_transfer_form_class, data_transfer_payload
from chargers.profiles.services import charge_point_set_charger_model
from live import selectors as live_selectors
from live.access import user_may_share
from portal.decorators import operator_required
from transactions.models import MeterValue


@staff_member_required
def charge_point_list(request: HttpRequest) -> HttpResponse:
    charge_points = ChargePoint.objects.select_related("charger_model").order_by("charge_point_id")
    return render(request, "chargers/charge_point_list.html", {"charge_points": charge_points})


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint.objects.select_related("charger_model"), charge_point_id=charge_point_id)


@operator_required
def charge_point_detail(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    profile = charge_point.charger_model
    return render(
        request,
        "chargers/charge_point_detail.html",
        _charge_point_context(
            charge_point,
            profile,
            ChargePointProfileForm(initial=_profile_initial(charge_point)),
            may_share=user_may_share(request.user),
        ),
    )


def _profile_initial(charge_point: ChargePoint) -> dict:
    return {"charger_model": charge_point.charger_model, "override": True}


def _charge_point_context(charge_point: ChargePoint, profile: ChargerModel | None, profile_form, **extra) -> dict:
    labels = profile_selectors.measurand_labels(profile=profile)
    meanings = profile_selectors.vendor_error_meanings(profile=profile)
    sessions = live_selectors.sessions_running(charge_point=charge_point)
    connectors = [
        (c, meanings.get(c.vendor_error_code.casefold()) if c.vendor_error_code else None, sessions.get(c.connector_id))
        for c in charge_point.connectors.all()
    ]
    recent = MeterValue.objects.filter(charge_point=charge_point).order_by("-timestamp", "-id")[:40]
    meter_values = [(m, profile_selectors.measurand_label(labels=labels, measurand=m.measurand)) for m in recent]
    data_transfer_forms = []
    if profile is not None:
        for spec in profile.data_transfers.exclude(direction="from_charger"):
            data_transfer_forms.append((spec, data_transfer_form_class(message=spec)(prefix=f"dt{spec.pk}")))
    return {
        "charge_point": charge_point,
        "live_feeds": [f"charger:{charge_point.pk}"],
        "chart": live_selectors.chart_lines_charger(charge_point=charge_point),
        "profile": profile,
        "profile_form": profile_form,
        "connectors": connectors,
        "meter_values": meter_values,
        "operations": profile_selectors.charge_point_operations(charge_point=charge_point),
        "data_transfers": profile_selectors.data_transfers_decoded(charge_point=charge_point),
        "data_transfer_forms": data_transfer_forms,
        "commands": charge_point.commands.order_by("-created_at", "-id")[:15],
        **extra,
    }


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
    return render(
        request,
        "chargers/charge_point_detail.html",
        _charge_point_context(charge_point, charge_point.charger_model, form, may_share=user_may_share(request.user)),
        status=400,
    )


@staff_member_required
@permission_required("chargers.add_command", raise_exception=True)
@require_POST
def data_transfer_check(request: HttpRequest, charge_point_id: str, spec_pk: int) -> HttpResponse:
    """Validate a DataTransfer form of the charger's model and queue it as a command."""
    charge_point = _charge_point(charge_point_id)
    profile = charge_point.charger_model
    spec = get_object_or_404(DataTransferSpec, pk=spec_pk, profile=profile)
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
    context = _charge_point_context(
        charge_point,
        profile,
        ChargePointProfileForm(initial=_profile_initial(charge_point)),
        may_share=user_may_share(request.user),
    )
    context["data_transfer_forms"] = [(s, form if s.pk == spec.pk else f) for s, f in context["data_transfer_forms"]]
    return render(request, "chargers/charge_point_detail.html", context, status=400)
