"""The reads of chargers/files/: which upload location a pair of credentials opens, a charger's diagnostics, and
the text inside an uploaded zip."""

import hmac
import time
from dataclasses import dataclass
from pathlib import Path

from django.core import signing
from django.db.models import Count, QuerySet
from django.utils import timezone

from chargers.files.archives import ArchiveMember, archive_members, archive_read_text, is_zip
from chargers.files.models import DiagnosticsStatus, DiagnosticsUpload, FirmwareRollout, HostedFirmware, RolloutStatus
from chargers.files.values import FIRMWARE_LINK_SALT, diagnostics_folder, firmware_path, secret_digest
from chargers.models import ChargePoint

__all__ = [
    "diagnostics_file_path",
    "diagnostics_member_text",
    "diagnostics_members",
    "diagnostics_of_charge_point",
    "diagnostics_search",
    "diagnostics_upload_open",
    "firmware_by_link",
    "rollout_progress",
    "rollouts_due",
    "rollouts_recent",
]

# What the browser shows of one file in a zip (the rest is cut, and the page says so).
MEMBER_TEXT_MAX_BYTES = 2 * 1024 * 1024


def diagnostics_upload_open(*, token: str, secret: str, protocol: str) -> DiagnosticsUpload | None:
    """The upload location these credentials open, if it still waits for its one upload."""
    upload = DiagnosticsUpload.objects.filter(
        token=token, protocol=protocol, status=DiagnosticsStatus.WAITING, expires_at__gt=timezone.now()
    ).first()
    # Compared in constant time: the token is public (a user name), the secret is what a guesser would time.
    if upload is None or not hmac.compare_digest(upload.secret_sha256, secret_digest(secret)):
        return None
    return upload


def diagnostics_of_charge_point(*, charge_point: ChargePoint) -> QuerySet[DiagnosticsUpload]:
    return DiagnosticsUpload.objects.filter(charge_point=charge_point)


def diagnostics_file_path(*, upload: DiagnosticsUpload) -> Path | None:
    """The kept file of an upload, or None when nothing was kept."""
    if upload.status != DiagnosticsStatus.UPLOADED or not upload.file_name:
        return None
    path = diagnostics_folder(upload.token) / upload.file_name
    return path if path.is_file() else None


def diagnostics_members(*, upload: DiagnosticsUpload) -> list[ArchiveMember]:
    """The files inside an uploaded zip (an empty list for a file that is not a zip)."""
    path = diagnostics_file_path(upload=upload)
    if path is None or not is_zip(path):
        return []
    return archive_members(path=path)


def diagnostics_member_text(*, upload: DiagnosticsUpload, index: int) -> tuple[ArchiveMember, str]:
    """One file of an uploaded zip as text; KeyError when there is no such file."""
    path = diagnostics_file_path(upload=upload)
    if path is None or not is_zip(path):
        raise KeyError(index)
    return archive_read_text(path=path, index=index, max_bytes=MEMBER_TEXT_MAX_BYTES)


@dataclass(frozen=True)
class SearchHit:
    member: ArchiveMember
    line_number: int
    line: str


def diagnostics_search(*, upload: DiagnosticsUpload, query: str, limit: int) -> list[SearchHit]:
    """The lines of the zip's files that contain `query` (case-insensitive), at most `limit` of them."""
    hits: list[SearchHit] = []
    needle = query.casefold()
    for member in diagnostics_members(upload=upload):
        _, text = diagnostics_member_text(upload=upload, index=member.index)
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line.casefold():
                hits.append(SearchHit(member, number, line))
                if len(hits) >= limit:
                    return hits
    return hits


class FirmwareLinkInvalid(LookupError):
    """Not a link the portal signed (tampered, or another kind of token), or its firmware is gone."""


class FirmwareLinkExpired(PermissionError):
    """A link the portal signed, past its expiry."""


def firmware_by_link(*, token: str) -> tuple[HostedFirmware, Path, str]:
    """The firmware a signed download link opens, its file and the charger the link was made for."""
    try:
        content = signing.loads(token, salt=FIRMWARE_LINK_SALT)
    except signing.BadSignature as error:
        raise FirmwareLinkInvalid(token) from error
    if content["exp"] < time.time():
        raise FirmwareLinkExpired(token)
    firmware = HostedFirmware.objects.filter(pk=content["f"]).first()
    path = firmware_path(content["f"])
    if firmware is None or not path.is_file():
        raise FirmwareLinkInvalid(token)
    return firmware, path, content["cp"]


def rollouts_due() -> list[int]:
    """Rollouts that should be moving: started, neither paused nor done (beat repeats their advance, should a
    message have been lost)."""
    return list(
        FirmwareRollout.objects.filter(
            status__in=(RolloutStatus.SCHEDULED, RolloutStatus.RUNNING), start_time__lte=timezone.now()
        ).values_list("pk", flat=True)
    )


def rollout_progress(*, rollout: FirmwareRollout) -> dict[str, int]:
    """How many of the rollout's chargers stand at each status."""
    return dict(rollout.chargers.values_list("status").annotate(n=Count("id")).order_by())


def rollouts_recent(*, limit: int = 50) -> list[tuple[FirmwareRollout, dict[str, int]]]:
    rollouts = FirmwareRollout.objects.select_related("firmware")[:limit]
    return [(rollout, rollout_progress(rollout=rollout)) for rollout in rollouts]
