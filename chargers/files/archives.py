"""Reading an uploaded diagnostics zip safely: its members' declared sizes are checked before a byte is
inflated, and a member is read only up to its declared size (zipfile stops there and checks the CRC)."""

import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ArchiveMember", "ArchiveRefused", "archive_check", "archive_members", "archive_read_text", "is_zip"]


class ArchiveRefused(ValueError):
    """The archive is not taken (a zip bomb, a broken zip); the message says why."""


@dataclass(frozen=True)
class ArchiveMember:
    index: int
    name: str
    size: int
    compressed_size: int


def is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def archive_check(*, path: Path, max_uncompressed: int, max_ratio: int) -> None:
    """Refuse a zip whose members declare more than `max_uncompressed` bytes in all, or inflate more than
    `max_ratio` times (the shape of a zip bomb), from the central directory alone: nothing is inflated here."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveRefused(f"not a readable zip: {error}") from error
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise ArchiveRefused(f"the zip unpacks to {total} bytes, more than the {max_uncompressed} allowed")
    for info in infos:
        if info.file_size > max(info.compress_size, 1) * max_ratio:
            raise ArchiveRefused(
                f"{info.filename!r} inflates {info.file_size} bytes from {info.compress_size}: a zip bomb"
            )


def archive_members(*, path: Path) -> list[ArchiveMember]:
    with zipfile.ZipFile(path) as archive:
        return [
            ArchiveMember(index, info.filename, info.file_size, info.compress_size)
            for index, info in enumerate(archive.infolist())
            if not info.is_dir()
        ]


def archive_read_text(*, path: Path, index: int, max_bytes: int) -> tuple[ArchiveMember, str]:
    """A member as text (ASCII, anything else shown as U+FFFD), at most `max_bytes` of it. Members are chosen by
    position, never by name, and never written to disk: a name like ../../etc/passwd is only a label here."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if not 0 <= index < len(infos) or infos[index].is_dir():
            raise KeyError(index)
        info = infos[index]
        with archive.open(info) as member:
            data = member.read(max_bytes)
    member_info = ArchiveMember(index, info.filename, info.file_size, info.compress_size)
    return member_info, data.decode("ascii", errors="replace")
