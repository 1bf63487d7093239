"""The raw SQL of rfid/bulk.py and its ORM twins give the same results on the same cases."""

from datetime import UTC, datetime

import pytest

from rfid import bulk
from rfid.bulk import ChangeRow, TagInsertRow, TagUpdateRow
from rfid.models import IdTag, IdTagChange
from tests.factories import IdTagFactory, UserFactory
from tests.twins import twins

pytestmark = [pytest.mark.django_db, pytest.mark.twins]

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("insert", twins(bulk.id_tags_insert_orm, bulk.id_tags_insert_sql))
def test_new_tags_are_inserted_with_their_group_and_owner_and_their_ids_returned(insert) -> None:
    group = IdTagFactory(id_tag="GROUP1")
    anna = UserFactory(username="anna")

    pks = insert(
        [
            TagInsertRow("CARD0001", "Accepted", LATER, group.pk, anna.pk),
            TagInsertRow("CARD0002", "Blocked", None, None, None),
        ],
        now=NOW,
    )

    stored = {t.id_tag: t for t in IdTag.objects.exclude(pk=group.pk)}
    assert pks == {value: tag.pk for value, tag in stored.items()}
    one, two = stored["CARD0001"], stored["CARD0002"]
    assert (one.status, one.expires_at, one.parent_id, one.user_id, one.label) == (
        "Accepted",
        LATER,
        group.pk,
        anna.pk,
        "",
    )
    assert (two.status, two.expires_at, two.parent_id, two.user_id) == ("Blocked", None, None, None)
    assert one.created_at == one.updated_at == NOW


@pytest.mark.parametrize("update", twins(bulk.id_tags_update_orm, bulk.id_tags_update_sql))
def test_stored_tags_get_the_new_status_expiry_group_and_owner_and_nothing_else(update) -> None:
    group = IdTagFactory(id_tag="GROUP1")
    anna = UserFactory(username="anna")
    one = IdTagFactory(id_tag="CARD0001", label="Van 1", parent=group, user=anna)
    two = IdTagFactory(id_tag="CARD0002")
    untouched = IdTagFactory(id_tag="CARD0003")

    update(
        [
            TagUpdateRow(one.pk, "Blocked", None, None, None),
            TagUpdateRow(two.pk, "Expired", LATER, group.pk, anna.pk),
        ],
        now=NOW,
    )

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.expires_at, one.parent_id, one.user_id, one.label) == ("Blocked", None, None, None, "Van 1")
    assert (two.status, two.expires_at, two.parent_id, two.user_id) == ("Expired", LATER, group.pk, anna.pk)
    assert one.updated_at == two.updated_at == NOW
    assert IdTag.objects.get(pk=untouched.pk).updated_at != NOW


@pytest.mark.parametrize("insert", twins(bulk.id_tag_changes_insert_orm, bulk.id_tag_changes_insert_sql))
def test_history_rows_are_stored_with_their_json(insert) -> None:
    tag = IdTagFactory(id_tag="CARD0001")
    anna = UserFactory(username="anna")

    insert(
        [
            ChangeRow(tag.pk, "CARD0001", NOW, anna.pk, "import", "changed", {"status": ["Accepted", "Blocked"]}),
            ChangeRow(None, "GONE0001", NOW, None, "api", "deleted", {"owner": ["anna", None], "note": ["ü", None]}),
        ]
    )

    rows = list(
        IdTagChange.objects.order_by("id_tag").values_list(
            "tag_id", "id_tag", "at", "user_id", "source", "action", "changes"
        )
    )
    assert rows == [
        (tag.pk, "CARD0001", NOW, anna.pk, "import", "changed", {"status": ["Accepted", "Blocked"]}),
        (None, "GONE0001", NOW, None, "api", "deleted", {"owner": ["anna", None], "note": ["ü", None]}),
    ]
