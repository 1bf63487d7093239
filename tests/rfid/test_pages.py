"""The /rfid/ pages: who may see and change what, the list's filters and keyset pages, a tag's edit, block and
history, block/unblock of many, the import with its report, and the export."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from rfid.models import IdTag, IdTagChange
from tests.factories import ChargePointFactory, IdTagFactory, OperatorFactory, UserFactory
from transactions.sites.models import Site

pytestmark = pytest.mark.django_db

HEADER = "id_tag,status,expiry_date,parent_id_tag,owner\n"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users made here log in with force_login: a fast hasher saves 0.6 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def operator() -> Client:
    return client_of(OperatorFactory(username="ops"))


@pytest.fixture
def viewer() -> Client:
    user = UserFactory(username="watcher", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="viewers")[0])
    # Even with every permission given, a viewer changes nothing (portal/backends.py).
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="rfid"))
    return client_of(user)


READS = ["/rfid/", "/rfid/KNOWN/", "/rfid/export/"]
WRITES = [
    ("/rfid/new/", {"id_tag": "NEW1", "status": "Accepted"}),
    ("/rfid/KNOWN/", {"id_tag": "KNOWN", "status": "Blocked"}),
    ("/rfid/KNOWN/status/", {"set_status": "Blocked"}),
    ("/rfid/KNOWN/delete/", {}),
    ("/rfid/bulk/", {"set_status": "Blocked", "scope": "filtered"}),
]


@pytest.mark.parametrize("url", READS)
def test_the_anonymous_are_sent_to_log_in_and_customers_are_refused(url):
    IdTagFactory(id_tag="KNOWN")
    assert client_of(None).get(url)["Location"].startswith("/accounts/login/")
    assert client_of(UserFactory()).get(url).status_code == 403


@pytest.mark.parametrize(("url", "body"), WRITES)
def test_a_viewer_reads_every_page_but_changes_nothing(viewer, url, body):
    IdTagFactory(id_tag="KNOWN")
    for page in READS:
        assert viewer.get(page).status_code == 200
    assert b"New tag" not in viewer.get("/rfid/").content
    assert viewer.get("/rfid/import/").status_code == 403

    assert viewer.post(url, body).status_code == 403
    assert list(IdTag.objects.values_list("id_tag", "status")) == [("KNOWN", "Accepted")]
    assert not IdTagChange.objects.exists()


def test_the_list_filters_by_status_owner_group_site_and_search(operator):
    anna = UserFactory(username="anna")
    site = Site.objects.create(name="Depot")
    group = IdTagFactory(id_tag="FLEET7")
    IdTagFactory(id_tag="AAAA0001", label="Van 12", user=anna, parent=group).allowed_sites.add(site)
    IdTagFactory(id_tag="BBBB0002", status="Blocked")

    def shown(**query) -> list[str]:
        return [t.id_tag for t in operator.get("/rfid/", query).context["page"].tags]

    assert shown() == ["AAAA0001", "BBBB0002", "FLEET7"]
    assert shown(status="Blocked") == ["BBBB0002"]
    assert shown(owner="anna") == ["AAAA0001"]
    assert shown(parent_id_tag="fleet-7") == ["AAAA0001"]
    assert shown(site=site.pk) == ["AAAA0001"]
    assert shown(q="van") == ["AAAA0001"]
    assert shown(q="bb:bb") == ["BBBB0002"]


def test_the_list_pages_by_id_tag_without_counting(operator, django_assert_max_num_queries):
    IdTag.objects.bulk_create(IdTag(id_tag=f"T{n:05d}") for n in range(120))

    # Session, user, viewer check, permissions (2), the page of tags, the sites of the filter: never a COUNT.
    with django_assert_max_num_queries(7) as queries:
        first = operator.get("/rfid/").context["page"]
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    second = operator.get("/rfid/", {"after": first.next_after}).context["page"]
    third = operator.get("/rfid/", {"after": second.next_after}).context["page"]
    back = operator.get("/rfid/", {"before": third.previous_before}).context["page"]

    assert [len(p.tags) for p in (first, second, third)] == [50, 50, 20]
    assert (first.tags[0].id_tag, second.tags[0].id_tag, third.tags[-1].id_tag) == ("T00000", "T00050", "T00119")
    assert (first.previous_before, third.next_after) == (None, None)
    assert [t.id_tag for t in back.tags] == [t.id_tag for t in second.tags]


def test_an_operator_creates_edits_blocks_and_deletes_a_tag_each_with_its_history(operator):
    UserFactory(username="anna")
    site = Site.objects.create(name="Depot")
    charger = ChargePointFactory(charge_point_id="CP-1")

    response = operator.post(
        "/rfid/new/",
        {"id_tag": "77:fd:2a:fa", "status": "Accepted", "label": "Van 12", "owner": "anna", "allowed_sites": [site.pk]},
    )
    assert response["Location"] == "/rfid/77FD2AFA/"
    operator.post(
        "/rfid/77FD2AFA/",
        {"status": "Accepted", "label": "Van 14", "owner": "anna", "allowed_charge_points": ["CP-1"]},
    )
    operator.post("/rfid/77FD2AFA/status/", {"set_status": "Blocked"})
    tag = IdTag.objects.get()
    assert (tag.label, tag.status, list(tag.allowed_charge_points.all()), tag.allowed_sites.count()) == (
        "Van 14",
        "Blocked",
        [charger],
        0,
    )
    assert b"Van 12 \xe2\x86\x92 Van 14" in operator.get("/rfid/77FD2AFA/").content
    operator.post("/rfid/77FD2AFA/delete/")

    history = list(IdTagChange.objects.order_by("id").values_list("action", "changes", "source", "user__username"))
    assert [h[0] for h in history] == ["created", "changed", "changed", "deleted"]
    assert history[0][1] == {
        "status": [None, "Accepted"],
        "owner": [None, "anna"],
        "label": [None, "Van 12"],
        "allowed_sites": [None, ["Depot"]],
    }
    assert history[1][1] == {
        "label": ["Van 12", "Van 14"],
        "allowed_sites": [["Depot"], []],
        "allowed_charge_points": [[], ["CP-1"]],
    }
    assert history[2][1] == {"status": ["Accepted", "Blocked"]}
    assert {h[2:] for h in history} == {("page", "ops")}
    assert not IdTag.objects.exists()


def test_a_bad_form_names_the_field_and_stores_nothing(operator):
    IdTagFactory(id_tag="KNOWN")
    response = operator.post("/rfid/new/", {"id_tag": "known", "status": "Accepted", "owner": "nobody"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"id_tag", "owner"}
    assert IdTag.objects.count() == 1


def test_bulk_block_of_the_selected_or_of_everything_the_filter_shows_with_one_history_row_each(operator):
    IdTag.objects.bulk_create(IdTag(id_tag=f"T{n:03d}", label="fleet" if n < 5 else "") for n in range(8))

    response = operator.post("/rfid/bulk/", {"set_status": "Blocked", "scope": "selected", "ids": ["t000", "T001"]})
    assert response.status_code == 302
    assert sorted(IdTag.objects.filter(status="Blocked").values_list("id_tag", flat=True)) == ["T000", "T001"]

    operator.post("/rfid/bulk/", {"set_status": "Blocked", "scope": "filtered", "q": "fleet"})
    assert IdTag.objects.filter(status="Blocked").count() == 5
    operator.post("/rfid/bulk/", {"set_status": "Accepted", "scope": "filtered"})
    assert not IdTag.objects.filter(status="Blocked").exists()

    # 2 + 3 blocked, then 5 unblocked: a tag already in the status records nothing.
    assert IdTagChange.objects.count() == 10
    assert operator.post("/rfid/bulk/", {"set_status": "Blocked", "scope": "selected"}).status_code == 302
    assert not IdTag.objects.filter(status="Blocked").exists()


def test_the_import_page_shows_a_dry_runs_report_then_imports(operator):
    csv_text = HEADER + "CARD0001,,,,\nCARD0002,Lost,,,\n"

    def post(**options):
        upload = io.BytesIO(csv_text.encode())
        upload.name = "tags.csv"
        return operator.post(
            "/rfid/import/", {"file": upload, "byte_order": "as_read", "existing": "refuse", **options}
        )

    dry = post(dry_run="on")
    assert dry.status_code == 200
    assert b"Dry run: nothing stored" in dry.content
    assert b"<td>3</td><td>status</td>" in dry.content
    refused = post()
    assert refused.status_code == 400
    assert b"Nothing was imported" in refused.content
    assert not IdTag.objects.exists()
    assert post(partial="on").status_code == 200
    assert list(IdTag.objects.values_list("id_tag", flat=True)) == ["CARD0001"]


def test_the_export_link_keeps_the_filter(operator):
    IdTagFactory(id_tag="AAAA0001", status="Blocked")
    IdTagFactory(id_tag="BBBB0002")

    response = operator.get("/rfid/export/", {"status": "Blocked"})

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "id_tag,status,expiry_date,parent_id_tag,owner",
        "AAAA0001,Blocked,,,",
    ]
    assert b'href="/rfid/export/?status=Blocked"' in operator.get("/rfid/", {"status": "Blocked"}).content
