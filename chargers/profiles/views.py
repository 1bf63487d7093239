"""The charger model profile pages (the vendor questionnaire as data) and the vendor's questionnaire page.

Thin: parse, call a service or selector, render. Every page needs a staff login except the vendor's page, which
a secret, expiring link opens for one questionnaire only; a page that changes something also needs the model
permission the admin would ask for (viewers have none: portal/roles.py).
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chargers.actions import OCPP_MESSAGES
from chargers.profiles import selectors, services
from chargers.profiles.forms import (
    ProfileImportForm,
    QuestionnaireForm,
    ShareLinkForm,
    questionnaire_formsets,
    questionnaire_sections,
)
from chargers.profiles.models import ChargerModel, QuestionnaireShareLink
from chargers.profiles.vocabulary import ProfileStatus, Transport, messages_for

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
@permission_required("chargers.add_chargermodel", raise_exception=True)
def profile_create(request: HttpRequest) -> HttpResponse:
    saved, context = _questionnaire(request, ChargerModel())
    if saved:
        messages.success(request, f"{context['form'].instance} saved (draft: activate it to match chargers)")
        return redirect("chargers:profile-detail", pk=context["form"].instance.pk)
    return render(request, "chargers/questionnaire.html", {**context, "title": "New charger model"})


@staff_member_required
@permission_required("chargers.change_chargermodel", raise_exception=True)
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(ChargerModel, pk=pk)
    saved, context = _questionnaire(request, profile)
    if saved:
        messages.success(request, f"{profile} saved")
        return redirect("chargers:profile-detail", pk=profile.pk)
    return render(request, "chargers/questionnaire.html", {**context, "title": f"Edit {profile}"})


@staff_member_required
@permission_required("chargers.change_chargermodel", raise_exception=True)
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
@permission_required("chargers.add_chargermodel", raise_exception=True)
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
@permission_required("chargers.add_questionnairesharelink", raise_exception=True)
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
