"""Pages and plain-HTTP edges of chargers/files/: the one-time HTTP upload chargers send diagnostics to (no login:
the secret in its URL is the credential), the firmware download at a signed link (the signature is the credential),
the operator pages that list a charger's diagnostics and read the ASCII files inside a zip (staff only, viewers
included: reading changes nothing), and the firmware library page."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chargers.files import selectors, services
from chargers.files.forms import FirmwareForm
from chargers.files.models import DiagnosticsUpload, FirmwareRollout, HostedFirmware, UploadProtocol
from chargers.models import ChargePoint
from portal.decorators import operator_required

logger = logging.getLogger(__name__)

# A PUT without a name in its URL is stored under this name.
DEFAULT_UPLOAD_NAME = "diagnostics.zip"
# At most this many matching lines are listed for a search across a zip.
MAX_SEARCH_HITS = 500
CHUNK_BYTES = 64 * 1024


@csrf_exempt  # a charger sends no CSRF token; the one-time secret in the URL is what lets it in
@require_http_methods(["POST", "PUT"])
def diagnostics_upload(request: HttpRequest, token: str, secret: str, name: str = "") -> HttpResponse:
    upload = selectors.diagnostics_upload_open(token=token, secret=secret, protocol=UploadProtocol.HTTP)
    if upload is None:
        return JsonResponse({"detail": "This upload location is unknown, used or expired."}, status=403)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.DIAGNOSTICS_MAX_BYTES + CHUNK_BYTES:  # room for the multipart envelope
        return JsonResponse({"detail": f"More than the {settings.DIAGNOSTICS_MAX_BYTES} bytes allowed."}, status=413)
    if request.method == "POST":
        part = request.FILES.get("file")
        if part is None:
            return JsonResponse({"file": ["A multipart part named 'file' is required."]}, status=400)
        name, chunks = part.name, part.chunks(CHUNK_BYTES)
    else:
        chunks = iter(lambda: request.read(CHUNK_BYTES), b"")
    try:
        upload = services.diagnostics_upload_receive(
            upload=upload, file_name=name or DEFAULT_UPLOAD_NAME, chunks=chunks
        )
    except services.UploadRefused as error:
        return JsonResponse({"detail": str(error)}, status=error.status)
    return JsonResponse({"file_name": upload.file_name, "size": upload.size}, status=201)


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint, charge_point_id=charge_point_id)


def _upload(charge_point_id: str, pk: int) -> DiagnosticsUpload:
    return get_object_or_404(
        DiagnosticsUpload.objects.select_related("charge_point"), pk=pk, charge_point__charge_point_id=charge_point_id
    )


@operator_required
def diagnostics_list(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    charge_point = _charge_point(charge_point_id)
    uploads = selectors.diagnostics_of_charge_point(charge_point=charge_point)[:200]
    return render(request, "files/diagnostics_list.html", {"charge_point": charge_point, "uploads": uploads})


@operator_required
def diagnostics_detail(request: HttpRequest, charge_point_id: str, pk: int) -> HttpResponse:
    """The files of one upload's zip, and with ?q= the lines of all of them that contain the text."""
    upload = _upload(charge_point_id, pk)
    members = selectors.diagnostics_members(upload=upload)
    query = request.GET.get("q", "").strip()
    hits = selectors.diagnostics_search(upload=upload, query=query, limit=MAX_SEARCH_HITS) if query else []
    context = {"upload": upload, "members": members, "query": query, "hits": hits, "max_hits": MAX_SEARCH_HITS}
    return render(request, "files/diagnostics_detail.html", context)


@operator_required
def diagnostics_member(request: HttpRequest, charge_point_id: str, pk: int, index: int) -> HttpResponse:
    """One file of the zip as text, line by line, the lines holding ?q= marked."""
    upload = _upload(charge_point_id, pk)
    try:
        member, text = selectors.diagnostics_member_text(upload=upload, index=index)
    except KeyError as error:
        raise Http404("No such file in this upload.") from error
    query = request.GET.get("q", "").strip()
    lines = [
        (number, line, bool(query) and query.casefold() in line.casefold())
        for number, line in enumerate(text.splitlines(), 1)
    ]
    context = {
        "upload": upload,
        "member": member,
        "lines": lines,
        "query": query,
        "matches": sum(1 for *_, hit in lines if hit),
        "cut": member.size > selectors.MEMBER_TEXT_MAX_BYTES,
    }
    return render(request, "files/diagnostics_member.html", context)


@operator_required
def diagnostics_download(request: HttpRequest, charge_point_id: str, pk: int) -> FileResponse:
    upload = _upload(charge_point_id, pk)
    path = selectors.diagnostics_file_path(upload=upload)
    if path is None:
        raise Http404("This upload kept no file.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=upload.file_name)


@require_GET
def firmware_download(request: HttpRequest, token: str, name: str) -> HttpResponse:
    """A charger downloads hosted firmware: 403 for a link past its expiry, 404 for one the portal did not sign."""
    try:
        firmware, path, charge_point_id = selectors.firmware_by_link(token=token)
    except selectors.FirmwareLinkExpired:
        return HttpResponseForbidden("This download link has expired.")
    except selectors.FirmwareLinkInvalid as error:
        raise Http404("No such firmware link.") from error
    logger.info("firmware %s downloaded for %s", firmware, charge_point_id)
    return FileResponse(path.open("rb"), as_attachment=True, filename=firmware.file_name)


def _firmware_context(form: FirmwareForm) -> dict:
    return {
        "firmware": HostedFirmware.objects.select_related("charger_model"),
        "rollouts": selectors.rollouts_recent(),
        "form": form,
    }


@operator_required
def firmware_list(request: HttpRequest) -> HttpResponse:
    return render(request, "files/firmware_list.html", _firmware_context(FirmwareForm()))


@operator_required
def rollout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A rollout's progress, charger by charger."""
    rollout = get_object_or_404(FirmwareRollout.objects.select_related("firmware"), pk=pk)
    chargers = rollout.chargers.select_related("charge_point")
    context = {"rollout": rollout, "chargers": chargers, "progress": selectors.rollout_progress(rollout=rollout)}
    return render(request, "files/rollout_detail.html", context)


@operator_required
@permission_required("chargers.add_hostedfirmware", raise_exception=True)
@require_POST
def firmware_upload(request: HttpRequest) -> HttpResponse:
    form = FirmwareForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            firmware = services.firmware_create(
                chunks=data["file"].chunks(),
                file_name=data["file"].name,
                version=data["version"],
                model=data["model"],
                notes=data["notes"],
                uploaded_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{firmware} is hosted ({firmware.size} bytes, SHA-256 {firmware.sha256}).")
            return redirect("files:firmware-list")
    return render(request, "files/firmware_list.html", _firmware_context(form), status=400)
