"""REST API: /api/v1/id-tags/ (CRUD by value, normalisation, bulk import)."""

from datetime import UTC, datetime

import pytest

from rfid.models import IdTag, IdTagStatus
from rfid.services import id_tag_authorize
from tests.factories import IdTagFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/id-tags/"
BULK = f"{LIST}bulk/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


# --- Who may call -----------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", LIST, None),
    ("post", LIST, {"id_tag": "NEW1"}),
    ("get", f"{LIST}KNOWN/", None),
    ("patch", f"{LIST}KNOWN/", {"status": "Blocked"}),
    ("delete", f"{LIST}KNOWN/", None),
    ("post", BULK, [{"id_tag": "NEW2"}]),
]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_anonymous_callers_get_401(method, url, body):
    IdTagFactory(id_tag="KNOWN")
    assert getattr(token_client(), method)(url, body, format="json").status_code == 401
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("KNOWN", "Accepted")]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_authenticated_non_staff_users_get_403(method, url, body):
    IdTagFactory(id_tag="KNOWN")
    assert getattr(token_client(UserFactory()), method)(url, body, format="json").status_code == 403
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("KNOWN", "Accepted")]


# --- Create, read, update, delete -------------------------------------------------------------------------


def test_a_new_tag_is_stored_in_canonical_form(operator):
    response = operator.post(LIST, {"id_tag": "77:fd:2a:fa", "note": "Anna's card"}, format="json")

    assert response.status_code == 201
    assert response.json() == {
        "id_tag": "77FD2AFA",
        "status": "Accepted",
        "expires_at": None,
        "parent_id_tag": None,
        "owner": None,
        "label": "",
        "note": "Anna's card",
        "allowed_sites": [],
        "allowed_charge_points": [],
        "created_at": response.json()["created_at"],
        "updated_at": response.json()["updated_at"],
    }
    assert IdTag.objects.get().id_tag == "77FD2AFA"
    assert id_tag_authorize(raw="77fd2afa").status == IdTagStatus.ACCEPTED


def test_a_tag_can_join_a_group_and_expire(operator):
    IdTagFactory(id_tag="FLEET7")

    response = operator.post(
        LIST,
        {"id_tag": "aa-bb-cc-dd", "parent_id_tag": "fleet7", "expires_at": "2030-01-01T00:00:00Z", "status": "Blocked"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["parent_id_tag"] == "FLEET7"
    assert body["expires_at"] == "2030-01-01T00:00:00Z"
    assert body["status"] == "Blocked"
    assert IdTag.objects.get(id_tag="AABBCCDD").parent.id_tag == "FLEET7"


@pytest.mark.parametrize("spelling", ["77FD2AFA", "77:FD:2A:FA", "77 fd 2a fa"])
def test_a_duplicate_in_any_spelling_is_rejected(operator, spelling):
    IdTagFactory(id_tag="77FD2AFA", note="first")

    response = operator.post(LIST, {"id_tag": spelling}, format="json")

    assert response.status_code == 400
    assert response.json() == {"id_tag": ["An id tag 77FD2AFA already exists."]}
    assert IdTag.objects.get().note == "first"


def test_a_tag_stored_by_someone_else_after_the_checks_is_a_400_naming_the_field(operator, monkeypatch):
    # Forces the race: both uniqueness checks pass, then another request's insert lands before ours.
    monkeypatch.setattr("rfid.selectors.id_tags_existing", lambda *, id_tags: {})
    original_full_clean = IdTag.full_clean

    def full_clean_then_lose_the_race(tag, *args, **kwargs):
        original_full_clean(tag, *args, **kwargs)
        IdTag.objects.bulk_create([IdTag(id_tag=tag.id_tag, note="the winner")])

    monkeypatch.setattr(IdTag, "full_clean", full_clean_then_lose_the_race)

    response = operator.post(LIST, {"id_tag": "77:fd:2a:fa"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"id_tag": ["An id tag 77FD2AFA already exists."]}
    assert IdTag.objects.get().note == "the winner"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "id_tag"),
        ({"id_tag": ""}, "id_tag"),
        ({"id_tag": "::--"}, "id_tag"),
        ({"id_tag": "A" * 21}, "id_tag"),
        ({"id_tag": "OK1", "status": "Lost"}, "status"),
        ({"id_tag": "OK1", "expires_at": "soon"}, "expires_at"),
        ({"id_tag": "OK1", "parent_id_tag": "NOGROUP"}, "parent_id_tag"),
        ({"id_tag": "OK1", "note": "n" * 201}, "note"),
    ],
)
def test_an_invalid_tag_is_rejected_naming_the_field(operator, body, field):
    response = operator.post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not IdTag.objects.exists()


def test_delimiters_do_not_count_towards_the_length_limit(operator):
    twenty = ":".join(["AB"] * 10)  # 29 characters sent, 20 kept
    assert operator.post(LIST, {"id_tag": twenty}, format="json").status_code == 201
    assert IdTag.objects.get().id_tag == "AB" * 10


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["AAA1", "BBB2", "CCC3"]),
        ("status=Blocked", ["BBB2"]),
        ("search=lobby", ["CCC3"]),
        ("search=bbb", ["BBB2"]),
        ("parent_id_tag=AAA1", ["CCC3"]),
        ("ordering=-id_tag", ["CCC3", "BBB2", "AAA1"]),
    ],
)
def test_the_list_filters_searches_and_orders(operator, query, expected):
    group = IdTagFactory(id_tag="AAA1")
    IdTagFactory(id_tag="BBB2", status=IdTagStatus.BLOCKED)
    IdTagFactory(id_tag="CCC3", note="Lobby card", parent=group)

    response = operator.get(f"{LIST}?{query}")

    assert response.status_code == 200
    assert [t["id_tag"] for t in response.json()["results"]] == expected


@pytest.mark.parametrize("spelling", ["77FD2AFA", "77fd2afa", "77:fd:2a:fa", "77-FD-2A-FA"])
def test_a_tag_is_found_by_any_spelling_of_its_value(operator, spelling):
    IdTagFactory(id_tag="77FD2AFA")
    response = operator.get(f"{LIST}{spelling}/")
    assert response.status_code == 200
    assert response.json()["id_tag"] == "77FD2AFA"


def test_an_unknown_tag_is_a_json_404(operator):
    response = operator.get(f"{LIST}NOPE/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_patch_changes_status_expiry_group_and_note(operator):
    IdTagFactory(id_tag="GROUP1")
    IdTagFactory(id_tag="CARD1", note="old")

    response = operator.patch(
        f"{LIST}card1/",
        {"status": "Blocked", "expires_at": "2031-06-01T12:00:00Z", "parent_id_tag": "group1", "note": "lost"},
        format="json",
    )

    assert response.status_code == 200
    tag = IdTag.objects.get(id_tag="CARD1")
    assert tag.status == IdTagStatus.BLOCKED
    assert tag.expires_at == datetime(2031, 6, 1, 12, tzinfo=UTC)
    assert tag.parent.id_tag == "GROUP1"
    assert tag.note == "lost"
    assert response.json()["parent_id_tag"] == "GROUP1"
    assert id_tag_authorize(raw="CARD1").status == IdTagStatus.BLOCKED


def test_a_patch_changes_only_what_it_names_and_can_leave_a_group(operator):
    group = IdTagFactory(id_tag="GROUP1")
    IdTagFactory(id_tag="CARD1", note="keep", parent=group, status=IdTagStatus.BLOCKED)

    response = operator.patch(f"{LIST}CARD1/", {"parent_id_tag": None, "status": "Accepted"}, format="json")

    assert response.status_code == 200
    tag = IdTag.objects.get(id_tag="CARD1")
    assert tag.parent is None
    assert tag.status == IdTagStatus.ACCEPTED
    assert tag.note == "keep"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "Lost"}, "status"),
        ({"parent_id_tag": "NOGROUP"}, "parent_id_tag"),
        ({"parent_id_tag": "card:1"}, "parent_id_tag"),
        ({"id_tagg": "typo"}, "non_field_errors"),
    ],
)
def test_a_bad_patch_is_rejected_naming_the_field(operator, body, field):
    IdTagFactory(id_tag="CARD1")
    response = operator.patch(f"{LIST}CARD1/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    tag = IdTag.objects.get()
    assert (tag.status, tag.parent) == (IdTagStatus.ACCEPTED, None)


def test_a_tag_is_deleted_and_its_group_members_stay(operator):
    group = IdTagFactory(id_tag="GROUP1")
    IdTagFactory(id_tag="CARD1", parent=group)

    response = operator.delete(f"{LIST}group1/")

    assert response.status_code == 204
    assert operator.get(f"{LIST}GROUP1/").status_code == 404
    assert IdTag.objects.get().parent is None


def test_put_is_not_offered(operator):
    IdTagFactory(id_tag="CARD1")
    assert operator.put(f"{LIST}CARD1/", {"id_tag": "CARD1"}, format="json").status_code == 405


# --- Bulk import ------------------------------------------------------------------------------------------


def test_a_bulk_import_stores_every_tag_normalised_with_groups_in_any_order(operator):
    IdTagFactory(id_tag="OLDGROUP")
    items = [
        {"id_tag": "11:22:33:44", "parent_id_tag": "fleet-7", "expires_at": "2030-01-01T00:00:00Z"},
        {"id_tag": "fleet-7", "note": "the group"},
        {"id_tag": "aabbccdd", "status": "Blocked", "parent_id_tag": "oldgroup"},
        {"id_tag": "55667788", "parent_id_tag": ""},
    ]

    response = operator.post(BULK, items, format="json")

    assert response.status_code == 201, response.content
    assert [t["id_tag"] for t in response.json()] == ["11223344", "FLEET7", "AABBCCDD", "55667788"]
    stored = {t.id_tag: t for t in IdTag.objects.select_related("parent")}
    assert set(stored) == {"OLDGROUP", "11223344", "FLEET7", "AABBCCDD", "55667788"}
    assert stored["11223344"].parent.id_tag == "FLEET7"
    assert stored["11223344"].expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert stored["AABBCCDD"].parent.id_tag == "OLDGROUP"
    assert stored["AABBCCDD"].status == IdTagStatus.BLOCKED
    assert stored["55667788"].parent is None
    assert stored["FLEET7"].note == "the group"
    assert response.json()[0]["parent_id_tag"] == "FLEET7"


def test_a_bulk_import_with_one_bad_item_stores_nothing_and_names_it(operator):
    items = [{"id_tag": "GOOD0001"}, {"id_tag": "GOOD0002"}, {"id_tag": "BAD", "status": "Lost"}]

    response = operator.post(BULK, items, format="json")

    assert response.status_code == 400
    assert response.json() == {"2": {"status": ['"Lost" is not a valid choice.']}}
    assert not IdTag.objects.exists()


def test_a_bulk_import_names_every_item_the_database_refuses(operator):
    IdTagFactory(id_tag="77FD2AFA")
    items = [
        {"id_tag": "NEW00001"},
        {"id_tag": "77:fd:2a:fa"},
        {"id_tag": "new-00001"},
        {"id_tag": "NEW00002", "parent_id_tag": "NOGROUP"},
        {"id_tag": "A" * 21},
        {"id_tag": "SELF", "parent_id_tag": "self"},
    ]

    response = operator.post(BULK, items, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["1", "2", "3", "4", "5"]
    assert errors["1"] == {"id_tag": ["An id tag 77FD2AFA already exists."]}
    assert errors["2"] == {"id_tag": ["Repeats item 0 (NEW00001)."]}
    assert errors["3"] == {"parent_id_tag": ["Unknown parent id tag NOGROUP."]}
    assert list(errors["4"]) == ["id_tag"]
    assert errors["5"] == {"parent_id_tag": ["A tag cannot be its own parent."]}
    assert list(IdTag.objects.values_list("id_tag", flat=True)) == ["77FD2AFA"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"id_tag": "NOT-A-LIST"}, "non_field_errors"),
        ([], "non_field_errors"),
        ([{"note": "no id"}], "0"),
        (["77FD2AFA"], "0"),
    ],
)
def test_a_bulk_import_that_is_not_a_list_of_tags_is_rejected(operator, body, expected):
    response = operator.post(BULK, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [expected]
    assert not IdTag.objects.exists()
