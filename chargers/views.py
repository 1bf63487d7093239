"""Operator pages of chargers and their model profiles, and the vendor's questionnaire page (share link).

Thin: parse, call a service or selector, render. Every page needs a staff login except the vendor's page, which
a secret, expiring link opens for one questionnaire only.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chargers import profile_selectors as selectors
from chargers.forms import (
    ChargePointProfileForm,
    ProfileImportForm,
    QuestionnaireForm,
    ShareLinkForm,
    data_transfer_form_class,
    data_transfer_payload,
    questionnaire_formsets,
    questionnaire_sections,
)
from chargers.models import ChargePoint, ChargerModel, DataTransferSpec, ProfileStatus, QuestionnaireShareLink
from chargers.services import profiles as services
from chargers.services.commands import command_create

# --- Profiles ---------------------------------------------------------------------------------------------


@staff_member_required
def profile_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "chargers/profile_list.html",
        {"profiles": selectors.charger_model_list(), "import_form": ProfileImportForm()},
    )


@staff_member_required
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile(pk)
    return render(
        request,
        "chargers/profile_detail.html",
        {
            "profile": profile,
            "grid": _message_grid(profile),
            "share_form": ShareLinkForm(),
            "share_links": profile.share_links.all()[:10],
            "charge_points": profile.charge_points.all()[:100],
            "statuses": ProfileStatus,
        },
    )


def _profile(pk: int) -> ChargerModel:
    try:
        return selectors.charger_model_get(pk=pk)
    except ChargerModel.DoesNotExist:
        raise Http404("no such charger model") from None


def _message_grid(profile: ChargerModel) -> list[tuple[str, list[bool | None]]]:
    from chargers.models.profiles import OCPP_MESSAGES, Transport, messages_for

    return [
        (m, [profile.supports(m, t) if m in messages_for(t) else None for t in Transport.values]) for m in OCPP_MESSAGES
    ]


def _questionnaire(request: HttpRequest, profile: ChargerModel, *, vendor_view: bool = False) -> tuple[bool, dict]:
    """Bind, validate and save the questionnaire; (saved, context for the template)."""
    data = request.POST if request.method == "POST" else None
    form = QuestionnaireForm(data, instance=profile, vendor_view=vendor_view)
    formsets = questionnaire_formsets(data=data, instance=profile)
    saved = False
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        with transaction.atomic():
            saved_profile = form.save()
            for formset in formsets.values():
                formset.instance = saved_profile
                formset.save()
        saved = True
    sections = questionnaire_sections(form, formsets)
    return saved, {"form": form, "formsets": formsets, "sections": sections, "profile": profile}


@staff_member_required
def profile_create(request: HttpRequest) -> HttpResponse:
    saved, context = _questionnaire(request, ChargerModel())
    if saved:
        messages.success(request, f"{context['form'].instance} saved (draft: activate it to match chargers)")
        return redirect("chargers:profile-detail", pk=context["form"].instance.pk)
    return render(request, "chargers/questionnaire.html", {**context, "title": "New charger model"})


@staff_member_required
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ChargerModel, pk=pk)
    saved, context = _questionnaire(request, profile)
    if saved:
        messages.success(request, f"{profile} saved")
        return redirect("chargers:profile-detail", pk=profile.pk)
    return render(request, "chargers/questionnaire.html", {**context, "title": f"Edit {profile}"})


@staff_member_required
@require_POST
def profile_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ChargerModel, pk=pk)
    status = request.POST.get("status", "")
    if status not in ProfileStatus.values:
        messages.error(request, f"unknown status {status!r}")
    else:
        profile.status = status
        profile.save(update_fields=["status", "updated_at"])
        messages.success(request, f"{profile}: {profile.get_status_display()}")
    return redirect("chargers:profile-detail", pk=pk)


@staff_member_required
def profile_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("json", "yaml"):
        raise Http404("export as .json or .yaml")
    profile = get_object_or_404(ChargerModel, pk=pk)
    text = services.charger_model_dumps(profile=profile, fmt=fmt)
    content_type = "application/yaml" if fmt == "yaml" else "application/json"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    filename = f"{profile.vendor}-{profile.model}".replace(" ", "_").replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@staff_member_required
def profile_import(request: HttpRequest) -> HttpResponse:
    form = ProfileImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = form.save()
        except ValidationError:
            pass  # the form carries the errors, field path by field path
        else:
            messages.success(request, f"{profile} imported")
            return redirect("chargers:profile-detail", pk=profile.pk)
    return render(request, "chargers/profile_import.html", {"form": form}, status=400 if form.errors else 200)


@staff_member_required
@require_POST
def share_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ChargerModel, pk=pk)
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        link = services.share_link_create(profile=profile, created_by=request.user, days=form.cleaned_data["days"])
        url = request.build_absolute_uri(reverse("chargers:vendor-questionnaire", args=[link.token]))
        messages.success(request, f"Share link for {profile}, valid until {link.expires_at:%Y-%m-%d}: {url}")
    else:
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return redirect("chargers:profile-detail", pk=pk)


@staff_member_required
def firmware_comparison(request: HttpRequest) -> HttpResponse:
    return render(
        request, "chargers/firmware_comparison.html", {"mismatches": selectors.charge_points_with_unlisted_firmware()}
    )


# --- The vendor's page ------------------------------------------------------------------------------------


def vendor_questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the token is the credential, for this one questionnaire and until it expires."""
    link = QuestionnaireShareLink.objects.select_related("profile").filter(token=token).first()
    if link is None or not link.is_valid:
        return render(request, "chargers/vendor_link_invalid.html", status=404)
    saved, context = _questionnaire(request, link.profile, vendor_view=True)
    if saved:
        services.share_link_mark_submitted(link=link)
        return render(request, "chargers/vendor_thanks.html", {"profile": link.profile})
    return render(
        request,
        "chargers/questionnaire.html",
        {**context, "title": f"Integration questionnaire: {link.profile}", "vendor_view": True, "link": link},
    )


# --- Chargers ---------------------------------------------------------------------------------------------


@staff_member_required
def charge_point_list(request: HttpRequest) -> HttpResponse:
    charge_points = ChargePoint.objects.select_related("charger_model").order_by("charge_point_id")
    return render(request, "chargers/charge_point_list.html", {"charge_points": charge_points})


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint.objects.select_related("charger_model"), charge_point_id=charge_point_id)


@staff_member_required
def charge_point_detail(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    profile = charge_point.charger_model
    return render(
        request,
        "chargers/charge_point_detail.html",
        _charge_point_context(charge_point, profile, ChargePointProfileForm(initial=_profile_initial(charge_point))),
    )


def _profile_initial(charge_point: ChargePoint) -> dict:
    return {"charger_model": charge_point.charger_model, "override": True}


def _charge_point_context(charge_point: ChargePoint, profile: ChargerModel | None, profile_form, **extra) -> dict:
    from transactions.models import MeterValue

    labels = selectors.measurand_labels(profile=profile)
    meanings = selectors.vendor_error_meanings(profile=profile)
    connectors = [
        (c, meanings.get(c.vendor_error_code.casefold()) if c.vendor_error_code else None)
        for c in charge_point.connectors.all()
    ]
    recent = MeterValue.objects.filter(charge_point=charge_point).order_by("-timestamp", "-id")[:40]
    meter_values = [(m, selectors.measurand_label(labels=labels, measurand=m.measurand)) for m in recent]
    data_transfer_forms = []
    if profile is not None:
        for spec in profile.data_transfers.exclude(direction="from_charger"):
            data_transfer_forms.append((spec, data_transfer_form_class(message=spec)(prefix=f"dt{spec.pk}")))
    return {
        "charge_point": charge_point,
        "profile": profile,
        "profile_form": profile_form,
        "connectors": connectors,
        "meter_values": meter_values,
        "operations": selectors.charge_point_operations(charge_point=charge_point),
        "data_transfers": selectors.data_transfers_decoded(charge_point=charge_point),
        "data_transfer_forms": data_transfer_forms,
        "commands": charge_point.commands.order_by("-created_at", "-id")[:15],
        **extra,
    }


@staff_member_required
@require_POST
def charge_point_set_profile(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    form = ChargePointProfileForm(request.POST)
    if form.is_valid():
        chosen = form.cleaned_data["charger_model"]
        override = form.cleaned_data["override"] and chosen is not None
        services.charge_point_set_charger_model(charge_point=charge_point, charger_model=chosen, override=override)
        messages.success(
            request,
            f"{charge_point}: {chosen or 'no profile'}"
            + (" (kept over boots)" if override else " (matched again at the next boot)"),
        )
        return redirect("chargers:charge-point-detail", charge_point_id=charge_point.charge_point_id)
    return render(
        request,
        "chargers/charge_point_detail.html",
        _charge_point_context(charge_point, charge_point.charger_model, form),
        status=400,
    )


@staff_member_required
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
                requested_by=request.user,
                requested_via="web",
            )
        except ValidationError as error:
            form.add_error(None, "; ".join(m for ms in error.message_dict.values() for m in ms))
        else:
            messages.success(request, f"{spec.message_id} queued (command #{command.pk})")
            return redirect("chargers:charge-point-detail", charge_point_id=charge_point.charge_point_id)
    context = _charge_point_context(
        charge_point, profile, ChargePointProfileForm(initial=_profile_initial(charge_point))
    )
    context["data_transfer_forms"] = [(s, form if s.pk == spec.pk else f) for s, f in context["data_transfer_forms"]]
    return render(request, "chargers/charge_point_detail.html", context, status=400)
