"""Id tags in and out as CSV: the import (read, check every row, report, then store through the services) and
the export (the same header, so an export imports again).

The file is read once, as a stream: each row becomes a small checked record; rows are never held as text. Every
bad row is reported (line, field, reason); with any, nothing is stored unless the caller asks for a partial
import (the good rows only).
"""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from typing import IO

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from rfid.models import IdTag, IdTagStatus
from rfid.selectors import id_tag_pks
from rfid.services import (
    IdTagImportRow,
    IdTagParentLoop,
    IdTagsStoredMeanwhile,
    id_tag_normalize,
    id_tag_reversed_bytes,
    id_tag_rows_in_levels,
    id_tags_import,
)

# The one header of the import and the export (INTERFACES.md).
HEADER = ("id_tag", "status", "expiry_date", "parent_id_tag", "owner")
ID_TAG_MAX_LENGTH = IdTag._meta.get_field("id_tag").max_length
# A bound on one request's work (the issue asks for 100 000+; ten times that is still one transaction).
MAX_ROWS = 1_000_000
# OCPP's CiString: printable ASCII.
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_NOT_UTF8 = "\ufffd"
_STATUSES = {choice.casefold(): choice for choice in IdTagStatus.values}


class ByteOrder(models.TextChoices):
    AS_READ = "as_read", "As read"
    REVERSED = "reversed", "Reversed (the reader gives the bytes the other way round)"


class Existing(models.TextChoices):
    REFUSE = "refuse", "Refuse the row (an error)"
    UPDATE = "update", "Update the stored tag"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    dry_run: bool = False
    partial: bool = False
    byte_order: str = ByteOrder.AS_READ
    existing: str = Existing.REFUSE


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass(slots=True)
class ImportReport:
    """What happened: `rows` read, `valid` rows, the counts stored (zero when nothing was), every bad row."""

    options: ImportOptions
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated if self.stored else 0

    def as_dict(self) -> dict:
        return {
            **asdict(self.options),
            "rows": self.rows,
            "valid": self.valid,
            "stored": self.stored,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [asdict(error) for error in self.errors],
        }


@dataclass(slots=True)
class _Row:
    """A row whose own fields passed; owner and parent are checked against the database afterwards."""

    line: int
    id_tag: str
    read_as: str
    status: str
    expires_at: datetime | None
    parent: str
    owner: str
    # A row with errors of its own: kept so that the rows it is the group of can say so.
    bad: bool = False


def id_tags_import_csv(*, file: IO[bytes], options: ImportOptions, changed_by=None) -> ImportReport:
    """Read, check and (unless a dry run, or bad rows without `partial`) store the tags of a CSV file."""
    report = ImportReport(options=options)
    rows = list(_checked_rows(_csv_records(file, report), report))
    owners = _check_against_database(rows, report)
    good = _good_rows(rows, owners, report)
    report.errors.sort(key=lambda error: error.line)
    report.valid = len(good)
    if options.dry_run or (report.errors and not options.partial) or not good:
        _count_would_be(good, report)
        return report
    try:
        counts = id_tags_import(
            rows=good, update_existing=options.existing == Existing.UPDATE, changed_by=changed_by, source="import"
        )
    except IdTagsStoredMeanwhile as race:
        line_of = {row.id_tag: row.line for row in rows if not row.bad}
        report.errors.extend(
            RowError(line_of[value], "id_tag", f"{value} was stored by someone else during the import.")
            for value in race.id_tags
        )
        report.errors.sort(key=lambda error: error.line)
        return report
    report.created, report.updated, report.unchanged = counts["created"], counts["updated"], counts["unchanged"]
    report.stored = True
    return report


# --- Reading ----------------------------------------------------------------------------------------------


def _csv_records(file: IO[bytes], report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: text}) for each data row, streamed; file-level problems become errors and end the read."""
    # strict: a quote left open to the end of the file is an error, not one huge last field.
    reader = csv.reader(_text_lines(file), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if sorted(header) != sorted(HEADER):
            found = ",".join(header) or "empty"
            report.errors.append(RowError(1, "header", f"The header must be {','.join(HEADER)}; it is {found}."))
            return
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            report.rows += 1
            if report.rows > MAX_ROWS:
                report.errors.append(RowError(reader.line_num, "file", f"More than {MAX_ROWS} rows: split the file."))
                return
            if len(values) != len(header):
                report.errors.append(
                    RowError(reader.line_num, "row", f"{len(values)} fields where the header has {len(header)}.")
                )
                continue
            yield reader.line_num, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        report.errors.append(RowError(reader.line_num, "file", f"Not readable as CSV: {exc}."))


def _text_lines(file: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, one at a time. Bytes that are not UTF-8 become U+FFFD, which the row checks
    report by line and field (a whole-file decode error could not say where)."""
    for number, line in enumerate(file):
        text = line.decode("utf-8", errors="replace")
        yield text.removeprefix("\ufeff") if number == 0 else text


def _checked_rows(records: Iterable[tuple[int, dict[str, str]]], report: ImportReport) -> Iterator[_Row]:
    first_line: dict[str, int] = {}
    for line, values in records:
        errors: list[RowError] = []
        id_tag, read_as = _id_tag(line, values["id_tag"], report.options.byte_order, errors)
        status = _STATUSES.get(values["status"].strip().casefold() or "accepted")
        if status is None:
            errors.append(
                RowError(line, "status", f"{values['status']!r} is not one of {', '.join(IdTagStatus.values)}.")
            )
        expires_at = _expiry(line, values["expiry_date"], errors)
        if id_tag and id_tag in first_line:
            errors.append(RowError(line, "id_tag", f"{id_tag} repeats line {first_line[id_tag]}."))
        elif id_tag:
            first_line[id_tag] = line
        errors.extend(
            RowError(line, name, "Not UTF-8 text: save the file as CSV UTF-8.")
            for name, text in values.items()
            if _NOT_UTF8 in text
        )
        report.errors.extend(errors)
        parent = id_tag_normalize(raw=values["parent_id_tag"])
        yield _Row(line, id_tag, read_as, status or "", expires_at, parent, values["owner"].strip(), bad=bool(errors))


def _id_tag(line: int, raw: str, byte_order: str, errors: list[RowError]) -> tuple[str, str]:
    """The canonical value to store and the value as read (rows name their parents as read)."""
    read_as = id_tag_normalize(raw=raw)
    if not read_as:
        errors.append(RowError(line, "id_tag", "Empty: every row needs an id tag."))
        return "", ""
    if not _PRINTABLE.fullmatch(read_as):
        errors.append(RowError(line, "id_tag", f"{read_as!r} has characters outside printable ASCII (OCPP CiString)."))
        return "", read_as
    value = read_as
    if byte_order == ByteOrder.REVERSED:
        value = id_tag_reversed_bytes(id_tag=read_as) or ""
        if not value:
            errors.append(
                RowError(line, "id_tag", f"{read_as} is not whole hex bytes: its byte order cannot be reversed.")
            )
            return "", read_as
    if len(value) > ID_TAG_MAX_LENGTH:
        errors.append(RowError(line, "id_tag", f"{value} has {len(value)} characters; at most {ID_TAG_MAX_LENGTH}."))
        return "", read_as
    return value, read_as


def _expiry(line: int, raw: str, errors: list[RowError]) -> datetime | None:
    """ISO 8601: a date-time (without an offset: in the portal's time zone) or a date (its end of day)."""
    text = raw.strip()
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.max)
    except ValueError:
        moment = None
    if moment is None:
        errors.append(RowError(line, "expiry_date", f"{text!r} is not an ISO 8601 date or date-time (2030-12-31)."))
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


# --- Checks against the database and between rows ---------------------------------------------------------


def _check_against_database(rows: list[_Row], report: ImportReport) -> dict[str, int]:
    """Owners must exist; existing tags are refused unless the import updates them. Returns the owners' ids."""
    owners = _user_ids({row.owner for row in rows if row.owner and not row.bad})
    checked = [row for row in rows if not row.bad]
    stored = id_tag_pks(id_tags=(row.id_tag for row in checked)) if report.options.existing == Existing.REFUSE else {}
    for row in checked:
        if row.owner and row.owner not in owners:
            report.errors.append(RowError(row.line, "owner", f"No user named {row.owner!r}."))
        if row.id_tag in stored:
            report.errors.append(RowError(row.line, "id_tag", f"{row.id_tag} exists already (choose to update it)."))
    return owners


def _user_ids(usernames: set[str]) -> dict[str, int]:
    user_model = get_user_model()
    found: dict[str, int] = {}
    names = list(usernames)
    for start in range(0, len(names), 2000):
        found.update(
            user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": names[start : start + 2000]}).values_list(
                user_model.USERNAME_FIELD, "pk"
            )
        )
    return found


def _good_rows(rows: list[_Row], owners: dict[str, int], report: ImportReport) -> list[IdTagImportRow]:
    """The rows without errors whose group is a stored tag or another good row. A row whose group is a bad row,
    or whose groups loop back to it, is bad too, and named so."""
    bad = {error.line for error in report.errors}
    row_of: dict[str, _Row] = {}
    for row in rows:
        if row.read_as:
            row_of.setdefault(row.read_as, row)  # a repeated value: the first row is the one that counts
    stored = set(id_tag_pks(id_tags={row.parent for row in rows if row.parent and row.parent not in row_of}))
    for row in rows:
        problem = _parent_problem(row, row_of, stored) if row.line not in bad else None
        if problem:
            report.errors.append(RowError(row.line, "parent_id_tag", problem))
            bad.add(row.line)
    while True:
        _spread_bad_groups(rows, row_of, bad, report)
        good = [_import_row(row, row_of, owners) for row in rows if row.line not in bad]
        try:
            id_tag_rows_in_levels(rows=good)
        except IdTagParentLoop as loop:
            members = {row.id_tag: row for row in rows if row.line not in bad}
            for value in loop.id_tags:
                report.errors.append(
                    RowError(members[value].line, "parent_id_tag", f"Groups loop: {' > '.join(loop.id_tags)}.")
                )
                bad.add(members[value].line)
        else:
            return good


def _parent_problem(row: _Row, row_of: dict[str, _Row], stored: set[str]) -> str | None:
    if not row.parent:
        return None
    if row.parent == row.read_as:
        return "A tag cannot be its own group."
    if row.parent not in row_of and row.parent not in stored:
        return f"Unknown parent id tag {row.parent}."
    return None


def _spread_bad_groups(rows: list[_Row], row_of: dict[str, _Row], bad: set[int], report: ImportReport) -> None:
    """A row whose group is a bad row of the file is bad: repeat until no more turn bad (groups are shallow)."""
    spreading = True
    while spreading:
        spreading = False
        for row in rows:
            group = row_of.get(row.parent) if row.parent else None
            if group is not None and row.line not in bad and group.line in bad:
                report.errors.append(
                    RowError(row.line, "parent_id_tag", f"Its group {row.parent} (line {group.line}) has errors.")
                )
                bad.add(row.line)
                spreading = True


def _import_row(row: _Row, row_of: dict[str, _Row], owners: dict[str, int]) -> IdTagImportRow:
    group = row_of.get(row.parent) if row.parent else None
    return IdTagImportRow(
        id_tag=row.id_tag,
        status=row.status,
        expires_at=row.expires_at,
        parent_id_tag=(group.id_tag if group else row.parent) or None,
        owner_id=owners.get(row.owner),
        owner=row.owner or None,
    )


def _count_would_be(good: list[IdTagImportRow], report: ImportReport) -> None:
    """A dry run's counts: which rows would create a tag and which would update one."""
    existing = id_tag_pks(id_tags=(row.id_tag for row in good)) if report.options.existing == Existing.UPDATE else {}
    report.updated = len(existing)
    report.created = len(good) - len(existing)


# --- Export -----------------------------------------------------------------------------------------------


class _Line:
    """csv.writer wants a file; this one hands back each line it is given (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def id_tags_csv_lines(*, tags: QuerySet[IdTag]) -> Iterator[str]:
    """The tags as CSV lines with the import's header, read from the database in chunks (for a streamed answer)."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    rows = tags.order_by("id_tag").values_list("id_tag", "status", "expires_at", "parent__id_tag", "user__username")
    for id_tag, status, expires_at, parent, owner in rows.iterator(chunk_size=2000):
        yield writer.writerow([id_tag, status, expires_at.isoformat() if expires_at else "", parent or "", owner or ""])
