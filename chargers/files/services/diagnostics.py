"""Diagnostics uploads: a one-time location per GetDiagnostics (FTP or HTTP), claiming it when an upload begins
(once: the second upload with the same credentials is refused), and keeping or refusing what arrived."""

import secrets
import shutil
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from chargers.files.archives import ArchiveRefused, archive_check, is_zip
from chargers.files.models import DiagnosticsStatus, DiagnosticsUpload, UploadProtocol
from chargers.files.values import UPLOAD_PATH, diagnostics_folder, secret_digest
from chargers.models import ChargePoint

__all__ = [
    "UploadRefused",
    "diagnostics_expire",
    "diagnostics_file_name_check",
    "diagnostics_location_create",
    "diagnostics_upload_claim",
    "diagnostics_upload_finish",
    "diagnostics_upload_receive",
    "diagnostics_upload_refuse",
    "public_base_url",
]


class UploadRefused(ValueError):
    """An upload that is not taken; the message says why (it is shown to the uploader), `status` is the HTTP
    answer for it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


TOO_LARGE, USED, UNPROCESSABLE = 413, 409, 422


def public_base_url() -> str:
    """Where chargers reach the portal: PUBLIC_URL, else the HOST and PORT `make run` serves on."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/")
    return f"http://{settings.HOST}:{settings.PORT}"


def _ftp_host() -> str:
    return settings.FTP_HOST or urlsplit(settings.PUBLIC_URL).hostname or "127.0.0.1"


def diagnostics_location_create(*, charge_point: ChargePoint, protocol: str) -> tuple[DiagnosticsUpload, str]:
    """A new one-time upload location for this charger and the URL to put into GetDiagnostics. The secret is in
    the URL only (the row keeps its SHA-256)."""
    token, secret = secrets.token_hex(8), secrets.token_urlsafe(18)
    upload = DiagnosticsUpload.objects.create(
        charge_point=charge_point,
        protocol=protocol,
        token=token,
        secret_sha256=secret_digest(secret),
        expires_at=timezone.now() + timedelta(seconds=settings.DIAGNOSTICS_UPLOAD_TTL_S),
    )
    if protocol == UploadProtocol.FTP:
        # The FTP user is the token, and its one writable folder is named after it too (chargers/files/ftp.py).
        return upload, f"ftp://{token}:{secret}@{_ftp_host()}:{settings.FTP_PORT}/{token}/"
    return upload, f"{public_base_url()}/{UPLOAD_PATH}{token}/{secret}/"


def diagnostics_file_name_check(name: str) -> str:
    """The bare file name an upload may have: no folder, no way out of its folder."""
    name = name.strip()
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00") or len(name) > 255:
        raise UploadRefused(f"file name {name[:80]!r} is not a plain file name inside the upload folder")
    return name


def diagnostics_upload_claim(*, upload: DiagnosticsUpload, file_name: str) -> bool:
    """Take the location for one upload; False when it was used (or expired) already. One UPDATE, so two
    uploads racing for it cannot both win."""
    claimed = DiagnosticsUpload.objects.filter(
        Q(pk=upload.pk, status=DiagnosticsStatus.WAITING, expires_at__gt=timezone.now())
    ).update(status=DiagnosticsStatus.RECEIVING, file_name=file_name)
    if claimed:
        upload.status, upload.file_name = DiagnosticsStatus.RECEIVING, file_name
    return bool(claimed)


def diagnostics_upload_refuse(*, upload: DiagnosticsUpload, reason: str) -> DiagnosticsUpload:
    """The upload is not kept: its folder goes, the location stays used up."""
    shutil.rmtree(diagnostics_folder(upload.token), ignore_errors=True)
    upload.status, upload.reason, upload.size = DiagnosticsStatus.REFUSED, reason[:255], None
    upload.save(update_fields=["status", "reason", "size"])
    return upload


def diagnostics_upload_finish(*, upload: DiagnosticsUpload) -> DiagnosticsUpload:
    """The file arrived whole: keep it, unless it is too large or a zip bomb."""
    path = diagnostics_folder(upload.token) / upload.file_name
    size = path.stat().st_size
    try:
        if size > settings.DIAGNOSTICS_MAX_BYTES:
            raise UploadRefused(f"{size} bytes, more than the {settings.DIAGNOSTICS_MAX_BYTES} allowed", TOO_LARGE)
        if is_zip(path):
            archive_check(
                path=path,
                max_uncompressed=settings.DIAGNOSTICS_MAX_UNCOMPRESSED_BYTES,
                max_ratio=settings.DIAGNOSTICS_MAX_RATIO,
            )
    except UploadRefused as error:
        diagnostics_upload_refuse(upload=upload, reason=str(error))
        raise
    except ArchiveRefused as error:
        diagnostics_upload_refuse(upload=upload, reason=str(error))
        raise UploadRefused(str(error), UNPROCESSABLE) from error
    upload.status, upload.size, upload.uploaded_at = DiagnosticsStatus.UPLOADED, size, timezone.now()
    upload.save(update_fields=["status", "size", "uploaded_at"])
    return upload


def diagnostics_upload_receive(
    *, upload: DiagnosticsUpload, file_name: str, chunks: Iterable[bytes]
) -> DiagnosticsUpload:
    """An HTTP upload: claim the location, write the chunks (stopping past the size limit), keep or refuse."""
    file_name = diagnostics_file_name_check(file_name)
    if not diagnostics_upload_claim(upload=upload, file_name=file_name):
        raise UploadRefused("this upload location has been used or has expired", USED)
    folder = diagnostics_folder(upload.token)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    with (folder / file_name).open("wb") as file:
        for chunk in chunks:
            written += len(chunk)
            if written > settings.DIAGNOSTICS_MAX_BYTES:
                file.close()
                reason = f"more than the {settings.DIAGNOSTICS_MAX_BYTES} bytes allowed"
                diagnostics_upload_refuse(upload=upload, reason=reason)
                raise UploadRefused(reason, TOO_LARGE)
            file.write(chunk)
    return diagnostics_upload_finish(upload=upload)


def diagnostics_expire() -> int:
    """Locations past their time that never took an upload are marked expired (they open nothing already)."""
    return DiagnosticsUpload.objects.filter(status=DiagnosticsStatus.WAITING, expires_at__lte=timezone.now()).update(
        status=DiagnosticsStatus.EXPIRED
    )
