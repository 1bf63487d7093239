"""Every tag write records its history (who, when, source, before and after) and ends in id_tags_changed, the
one place where the local-list sync learns of it: single writes, the JSON bulk import, the CSV import, block
and unblock of many, and deletes (whose members lose their group)."""

import io

import pytest

from rfid.models import IdTag, IdTagChange
from rfid.services import id_tag_create, id_tag_delete, id_tag_update, id_tags_set_status
from rfid.services import tags as tag_services
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory, token_client
from transactions.sites.models import Site

pytestmark = pytest.mark.django_db

LIST = "/api/v1/id-tags/"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def changed(monkeypatch) -> list[list[str]]:
    """What each write told id_tags_changed (every module calls it through rfid.services.tags)."""
    calls: list[list[str]] = []
    monkeypatch.setattr(tag_services, "id_tags_changed", lambda *, id_tags: calls.append(sorted(id_tags)))
    monkeypatch.setattr("rfid.services.tag_bulk.id_tags_changed", lambda *, id_tags: calls.append(sorted(id_tags)))
    return calls


def test_a_change_to_nothing_records_nothing_and_tells_nobody(changed):
    tag = id_tag_create(id_tag="CARD0001", label="Van 1")
    id_tag_update(tag=tag, label="Van 1", status="Accepted")

    assert IdTagChange.objects.count() == 1
    assert changed == [["CARD0001"]]


def test_deleting_a_group_records_the_members_losing_it(changed):
    operator = OperatorFactory(username="ops")
    group = id_tag_create(id_tag="GROUP1")
    id_tag_create(id_tag="CARD0001", parent=group)

    id_tag_delete(tag=group, changed_by=operator, source="admin")

    rows = list(
        IdTagChange.objects.filter(action__in=["deleted", "changed"]).values_list(
            "id_tag", "action", "changes", "source"
        )
    )
    assert sorted(rows) == [
        ("CARD0001", "changed", {"parent_id_tag": ["GROUP1", None]}, "admin"),
        ("GROUP1", "deleted", {"status": ["Accepted", None]}, "admin"),
    ]
    assert IdTagChange.objects.filter(id_tag="CARD0001", action="changed").get().tag.id_tag == "CARD0001"
    assert changed[-1] == ["CARD0001", "GROUP1"]


def test_blocking_many_records_one_row_per_tag_that_changed(changed):
    IdTag.objects.bulk_create([IdTag(id_tag="A1"), IdTag(id_tag="A2"), IdTag(id_tag="A3", status="Blocked")])

    assert id_tags_set_status(tags=IdTag.objects.all(), status="Blocked", source="page") == 2

    assert sorted(IdTagChange.objects.values_list("id_tag", "changes")) == [
        ("A1", {"status": ["Accepted", "Blocked"]}),
        ("A2", {"status": ["Accepted", "Blocked"]}),
    ]
    assert changed == [["A1", "A2"]]


def test_the_api_records_who_changed_what_and_shows_the_history(changed):
    client = token_client(OperatorFactory(username="ops"))
    UserFactory(username="anna")
    site = Site.objects.create(name="Depot")
    ChargePointFactory(charge_point_id="CP-1")

    created = client.post(LIST, {"id_tag": "card-1", "owner": "anna", "allowed_sites": [site.pk]}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["owner"], created.json()["allowed_sites"]) == ("anna", [site.pk])
    patched = client.patch(
        f"{LIST}CARD1/", {"owner": None, "allowed_charge_points": ["CP-1"], "label": "Van 1"}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["owner"], patched.json()["allowed_charge_points"]) == (None, ["CP-1"])
    client.post(f"{LIST}bulk/", [{"id_tag": "CARD2"}], format="json")
    client.delete(f"{LIST}CARD2/")

    history = client.get(f"{LIST}CARD1/history/").json()["results"]
    assert [(h["action"], h["user"], h["source"]) for h in history] == [
        ("changed", "ops", "api"),
        ("created", "ops", "api"),
    ]
    assert history[0]["changes"] == {
        "owner": ["anna", None],
        "label": ["", "Van 1"],
        "allowed_charge_points": [[], ["CP-1"]],
    }
    # A deleted tag's history stays readable by its value.
    gone = list(IdTagChange.objects.filter(id_tag="CARD2").values_list("action", "source"))
    assert sorted(gone) == [("created", "api"), ("deleted", "api")]
    assert changed == [["CARD1"], ["CARD1"], ["CARD2"], ["CARD2"]]


def test_a_bad_owner_site_or_charger_is_a_400_naming_the_field():
    client = token_client(OperatorFactory())
    response = client.post(
        LIST,
        {"id_tag": "CARD1", "owner": "nobody", "allowed_sites": [999], "allowed_charge_points": ["NOPE"]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"owner", "allowed_sites", "allowed_charge_points"}
    assert not IdTag.objects.exists()


def test_a_csv_import_tells_the_sync_once_with_every_tag_it_wrote(changed):
    client = token_client(OperatorFactory())
    upload = io.BytesIO(b"id_tag,status,expiry_date,parent_id_tag,owner\nG1,,,,\nC1,,,G1,\n")
    upload.name = "tags.csv"

    assert client.post("/api/v1/id-tags/import/", {"file": upload}, format="multipart").status_code == 200
    assert changed == [["C1", "G1"]]
