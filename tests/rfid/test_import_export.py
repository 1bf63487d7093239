"""CSV import (/api/v1/id-tags/import/) and export (/api/v1/id-tags/export/): every bad row named by line, field
and reason, dry runs, partial imports, byte order, updates, the history, and an export that imports again."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission

from rfid import imports
from rfid.models import IdTag, IdTagChange
from tests.factories import ChargePointFactory, IdTagFactory, OperatorFactory, UserFactory, token_client
from transactions.sites.models import Site

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/id-tags/import/"
EXPORT = "/api/v1/id-tags/export/"
HEADER = "id_tag,status,expiry_date,parent_id_tag,owner\n"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users made here never log in: a fast hasher saves 0.6 s per user (PBKDF2's deliberate cost)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator():
    return token_client(OperatorFactory(username="ops"))


def upload(client, text: str | bytes, **options):
    data = text.encode() if isinstance(text, str) else text
    body = {"file": io.BytesIO(data), **{k: str(v).lower() for k, v in options.items()}}
    body["file"].name = "tags.csv"
    return client.post(IMPORT, body, format="multipart")


def test_a_clean_file_is_imported_with_groups_owners_and_expiry(operator):
    UserFactory(username="anna")
    response = upload(
        operator,
        HEADER + "11:22:33:44,accepted,2030-01-01T00:00:00Z,fleet-7,anna\n"
        "fleet7,Accepted,,,\n"
        "aabbccdd,Blocked,2031-06-30,,\n",
    )

    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["rows"], report["imported"], report["created"], report["errors"]) == (3, 3, 3, [])
    stored = {t.id_tag: t for t in IdTag.objects.select_related("parent", "user")}
    assert stored["11223344"].parent.id_tag == "FLEET7"
    assert stored["11223344"].user.username == "anna"
    assert stored["11223344"].expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert stored["AABBCCDD"].status == "Blocked"
    # A date alone: valid to the end of that day.
    assert stored["AABBCCDD"].expires_at.date().isoformat() == "2031-06-30"


BAD_ROWS = [
    (",Accepted,,,", "id_tag", "Empty"),
    ("A" * 21 + ",Accepted,,,", "id_tag", "at most 20"),
    ("CARDÄ,Accepted,,,", "id_tag", "printable ASCII"),
    ("GOOD0001,Accepted,,,", "id_tag", "repeats line 2"),
    ("CARD0003,Lost,,,", "status", "is not one of"),
    ("CARD0004,Accepted,31/12/2030,,", "expiry_date", "ISO 8601"),
    ("CARD0005,Accepted,2030-02-30,,", "expiry_date", "ISO 8601"),
    ("CARD0006,Accepted,,NOGROUP,", "parent_id_tag", "Unknown parent id tag NOGROUP"),
    ("CARD0007,Accepted,,card0007,", "parent_id_tag", "its own group"),
    ("CARD0008,Accepted,,,nobody", "owner", "No user named 'nobody'"),
    ("STORED01,Accepted,,,", "id_tag", "exists already"),
    ("CARD0009,Accepted,,", "row", "4 fields where the header has 5"),
]


@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS, ids=[f for _, f, _ in BAD_ROWS])
def test_each_kind_of_bad_row_is_named_by_line_field_and_reason_and_nothing_is_stored(operator, row, field, reason):
    IdTagFactory(id_tag="STORED01")
    response = upload(operator, HEADER + "GOOD0001,Accepted,,,\n" + row + "\n")

    assert response.status_code == 400
    report = response.json()
    assert (report["rows"], report["valid"], report["imported"], report["stored"]) == (2, 1, 0, False)
    assert len(report["errors"]) == 1, report["errors"]
    error = report["errors"][0]
    assert (error["line"], error["field"]) == (3, field)
    assert reason in error["reason"]
    assert list(IdTag.objects.values_list("id_tag", flat=True)) == ["STORED01"]
    assert not IdTagChange.objects.exists()


def test_every_bad_row_is_reported_in_line_order_and_members_of_a_bad_group_too(operator):
    response = upload(
        operator,
        HEADER + "MEMBER01,Accepted,,GROUP1,\nGROUP1,Lost,,,\nOK000001,Accepted,,,\nBAD2,Accepted,someday,,\n",
    )

    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (2, "parent_id_tag"),
        (3, "status"),
        (5, "expiry_date"),
    ]
    assert "GROUP1 (line 3) has errors" in response.json()["errors"][0]["reason"]


def test_a_group_loop_is_a_bad_row_for_each_member(operator):
    IdTagFactory(id_tag="LOOPA")
    IdTagFactory(id_tag="LOOPB")
    response = upload(operator, HEADER + "LOOPA,,,LOOPB,\nLOOPB,,,LOOPA,\n", existing="update")

    assert response.status_code == 400
    assert sorted((e["line"], e["field"]) for e in response.json()["errors"]) == [
        (2, "parent_id_tag"),
        (3, "parent_id_tag"),
    ]


@pytest.mark.parametrize(
    ("content", "field", "line"),
    [
        ("tag,status\nAA,Accepted\n", "header", 1),
        (b"id_tag,status,expiry_date,parent_id_tag,owner\nGOOD0001,,,,\nFLEET,,,,J\xfcrgen\n", "owner", 3),
        ("\n\n", "header", 1),
        ('id_tag,status,expiry_date,parent_id_tag,owner\nGOOD0001,,,,\n"CARD\0,,,,\n', "file", 3),
    ],
    ids=["wrong header", "not utf-8", "blank lines only", "not csv"],
)
def test_a_file_that_is_not_our_csv_is_refused_naming_the_problem(operator, content, field, line):
    response = upload(operator, content)

    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(line, field)]
    assert not IdTag.objects.exists()


def test_a_request_without_a_file_or_with_a_bad_option_names_the_field(operator):
    assert list(operator.post(IMPORT, {}, format="multipart").json()) == ["file"]
    assert list(upload(operator, "").json()) == ["file"]
    response = upload(operator, HEADER, byte_order="backwards")
    assert response.status_code == 400
    assert list(response.json()) == ["byte_order"]


def test_a_dry_run_reports_everything_and_stores_nothing(operator):
    IdTagFactory(id_tag="STORED01")
    response = upload(
        operator, HEADER + "NEW00001,,,,\nSTORED01,Blocked,,,\nBAD,Lost,,,\n", dry_run=True, existing="update"
    )

    assert response.status_code == 200
    report = response.json()
    assert (report["dry_run"], report["stored"], report["imported"]) == (True, False, 0)
    assert (report["valid"], report["created"], report["updated"]) == (2, 1, 1)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(4, "status")]
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("STORED01", "Accepted")]
    assert not IdTagChange.objects.exists()


def test_a_partial_import_stores_the_good_rows_and_reports_the_bad(operator):
    response = upload(operator, HEADER + "GOOD0001,,,,\nBAD,Lost,,,\nGOOD0002,,,,\n", partial=True)

    assert response.status_code == 200
    report = response.json()
    assert (report["stored"], report["imported"], report["created"]) == (True, 2, 2)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "status")]
    assert sorted(IdTag.objects.values_list("id_tag", flat=True)) == ["GOOD0001", "GOOD0002"]


def test_reversed_byte_order_stores_each_card_the_other_way_round_and_refuses_what_cannot_be(operator):
    response = upload(operator, HEADER + "77:FD:2A:FA,,,,\n0A0B0C0D,,,77FD2AFA,\nFLEET7,,,,\n", byte_order="reversed")

    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(4, "id_tag")]
    assert "cannot be reversed" in response.json()["errors"][0]["reason"]

    response = upload(operator, HEADER + "77:FD:2A:FA,,,,\n0A0B0C0D,,,77FD2AFA,\n", byte_order="reversed")

    assert response.status_code == 200, response.content
    stored = dict(IdTag.objects.values_list("id_tag", "parent__id_tag"))
    # The group is named as read in the file: it finds the row, stored reversed.
    assert stored == {"FA2AFD77": None, "0D0C0B0A": "FA2AFD77"}


def test_existing_tags_are_updated_when_chosen_with_their_history(operator):
    UserFactory(username="anna")
    IdTagFactory(id_tag="STORED01")
    IdTagFactory(id_tag="SAME0001")

    response = upload(
        operator, HEADER + "STORED01,Blocked,,,anna\nSAME0001,Accepted,,,\nNEW00001,,,STORED01,\n", existing="update"
    )

    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
    }
    assert IdTag.objects.get(id_tag="STORED01").status == "Blocked"
    assert IdTag.objects.get(id_tag="NEW00001").parent.id_tag == "STORED01"
    history = {(c.id_tag, c.action): c for c in IdTagChange.objects.all()}
    assert set(history) == {("STORED01", "changed"), ("NEW00001", "created")}
    changed = history["STORED01", "changed"]
    assert changed.changes == {"status": ["Accepted", "Blocked"], "owner": [None, "anna"]}
    assert (changed.source, changed.user.username) == ("import", "ops")
    assert history["NEW00001", "created"].changes == {"status": [None, "Accepted"], "parent_id_tag": [None, "STORED01"]}


def test_an_export_streams_the_import_header_and_imports_again(operator):
    UserFactory(username="anna")
    upload(operator, HEADER + "GROUP1,,,,\nCARD0001,Blocked,2030-01-01T10:00:00+00:00,GROUP1,anna\n")

    response = operator.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["id_tag", "status", "expiry_date", "parent_id_tag", "owner"],
        ["CARD0001", "Blocked", "2030-01-01T10:00:00+00:00", "GROUP1", "anna"],
        ["GROUP1", "Accepted", "", "", ""],
    ]
    IdTag.objects.all().delete()
    again = upload(operator, text)
    assert again.status_code == 200, again.content
    assert again.json()["created"] == 2
    assert IdTag.objects.get(id_tag="CARD0001").parent.id_tag == "GROUP1"


def test_a_chargers_export_holds_the_tags_that_may_charge_there(operator):
    depot = Site.objects.create(name="Depot")
    circuit = Site.objects.create(name="Feeder 2", parent=depot)
    here = ChargePointFactory(charge_point_id="CP-HERE", site=circuit)
    elsewhere = ChargePointFactory(charge_point_id="CP-ELSE")
    IdTagFactory(id_tag="EVERYWHERE")
    IdTagFactory(id_tag="DEPOT").allowed_sites.add(depot)
    IdTagFactory(id_tag="THISCP").allowed_charge_points.add(here)
    IdTagFactory(id_tag="OTHERCP").allowed_charge_points.add(elsewhere)
    both = IdTagFactory(id_tag="BOTH")
    both.allowed_charge_points.add(here, elsewhere)
    both.allowed_sites.add(depot)

    response = operator.get(EXPORT, {"charge_point": "CP-HERE"})

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["BOTH", "DEPOT", "EVERYWHERE", "THISCP"]
    assert 'filename="id-tags-CP-HERE.csv"' in response["Content-Disposition"]


def test_a_viewer_may_export_but_not_import(operator):
    viewer = UserFactory(username="watcher", is_staff=True)
    viewer.groups.add(Group.objects.get_or_create(name="viewers")[0])
    viewer.user_permissions.set(Permission.objects.filter(codename="view_idtag"))
    client = token_client(viewer)

    assert client.get(EXPORT).status_code == 200
    assert upload(client, HEADER + "CARD0001,,,,\n").status_code == 403
    assert not IdTag.objects.exists()


def test_a_tag_stored_by_someone_else_during_an_import_is_refused_not_overwritten(operator, monkeypatch):
    IdTagFactory(id_tag="RACED001", label="someone else's")
    real = imports.id_tag_pks
    # The check ran before the other writer's insert: it saw no RACED001.
    monkeypatch.setattr(
        imports, "id_tag_pks", lambda *, id_tags: {k: v for k, v in real(id_tags=id_tags).items() if k != "RACED001"}
    )

    response = upload(operator, HEADER + "NEW00001,,,,\nRACED001,Blocked,,,\n")

    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(3, "id_tag")]
    assert "stored by someone else" in response.json()["errors"][0]["reason"]
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("RACED001", "Accepted")]
