"""Who may watch which feed, whose sessions are whose, and share links (the rules under the live pages)."""

from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core import signing

from chargers.models import ChargerModel
from chargers.profiles.models import ByteOrder, ProfileStatus
from live import sharing
from live.access import feeds_permitted
from live.selectors import transactions_owned
from portal.roles import VIEWERS_GROUP
from rfid.services import id_tag_normalize
from tests.factories import ChargePointFactory, IdTagFactory, TransactionFactory, UserFactory

pytestmark = pytest.mark.django_db


def owner_of(*tags: str):
    user = UserFactory()
    for tag in tags:
        IdTagFactory(id_tag=tag, user=user)
    return user


SPELLINGS = ["77FD2AFA", "77fd2afa", "77:FD:2A:FA", "77-fd-2a-fa", "77 FD 2A FA", "77.FD.2A.FA"]
NOT_FEEDS = ["fleet ", "charger:0", "charger:-1", "charger:1x", "transaction:", 7, None, "x" * 500]


@pytest.mark.parametrize("as_sent", SPELLINGS)
def test_a_session_is_the_owners_however_the_charger_spelled_the_tag(as_sent: str) -> None:
    assert id_tag_normalize(raw=as_sent) == "77FD2AFA"  # the rule the SQL of the selector repeats
    alice = owner_of("77FD2AFA")
    session = TransactionFactory(id_tag=as_sent)
    TransactionFactory(id_tag="77FD2AFB")
    assert list(transactions_owned(user=alice)) == [session]


def test_a_customer_without_tags_and_the_anonymous_own_nothing() -> None:
    TransactionFactory(id_tag="77FD2AFA")
    assert list(transactions_owned(user=UserFactory())) == []
    assert list(transactions_owned(user=AnonymousUser())) == []


def test_reversed_byte_order_counts_only_on_chargers_whose_model_reads_cards_that_way() -> None:
    little = ChargerModel.objects.create(
        vendor="Acme", model="LE", status=ProfileStatus.ACTIVE, rfid_byte_order=ByteOrder.LITTLE_ENDIAN
    )
    alice = owner_of("77FD2AFA")
    on_little = TransactionFactory(id_tag="FA2AFD77", charge_point=ChargePointFactory(charger_model=little))
    TransactionFactory(id_tag="FA2AFD77", charge_point=ChargePointFactory())  # big endian: someone else's card
    assert list(transactions_owned(user=alice)) == [on_little]


def test_the_tag_as_sent_wins_over_its_reversed_reading_as_the_authorization_does() -> None:
    little = ChargerModel.objects.create(
        vendor="Acme", model="LE", status=ProfileStatus.ACTIVE, rfid_byte_order=ByteOrder.LITTLE_ENDIAN
    )
    alice = owner_of("77FD2AFA")
    bob = owner_of("FA2AFD77")
    session = TransactionFactory(id_tag="FA2AFD77", charge_point=ChargePointFactory(charger_model=little))
    assert list(transactions_owned(user=bob)) == [session]
    assert list(transactions_owned(user=alice)) == []


def _staff(*codenames: str, viewer: bool = False):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    if viewer:
        user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    return user


def _allowed(user, names, shared=None) -> list[str]:
    return [feed.name for feed in feeds_permitted(user=user, names=names, shared_transaction_pk=shared).allowed]


def test_operators_with_the_view_permission_watch_everything_and_staff_without_it_their_own_sessions() -> None:
    names = ["fleet", "charger:1", "transaction:5"]
    assert _allowed(_staff("view_chargepoint", "view_transaction"), names) == names
    assert _allowed(_staff("view_chargepoint", "view_transaction", viewer=True), names) == names
    assert _allowed(_staff("view_chargepoint"), names) == ["fleet", "charger:1"]
    bare = _staff()
    IdTagFactory(id_tag="0A0B0C0D", user=bare)
    own = TransactionFactory(id_tag="0A0B0C0D")
    assert _allowed(bare, [*names, f"transaction:{own.pk}"]) == [f"transaction:{own.pk}"]


def test_a_customer_is_refused_the_fleet_and_chargers_even_with_permissions() -> None:
    user = UserFactory()
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_chargepoint", "view_transaction"]))
    decision = feeds_permitted(user=user, names=["fleet", "charger:1", "transaction:5"])
    assert decision.allowed == [] and decision.refused == ["fleet", "charger:1", "transaction:5"]


@pytest.mark.parametrize("name", NOT_FEEDS)
def test_a_feed_name_that_is_not_one_is_refused(name) -> None:
    decision = feeds_permitted(user=_staff("view_chargepoint", "view_transaction"), names=[name])
    assert decision.allowed == [] and len(decision.refused) == 1 and len(decision.refused[0]) <= 100


def test_a_share_link_opens_its_one_session_to_anyone() -> None:
    assert _allowed(AnonymousUser(), ["fleet", "transaction:5", "transaction:6"], shared=5) == ["transaction:5"]


def test_a_share_token_names_its_transaction_until_it_expires(settings) -> None:
    settings.LIVE_SHARE_TTL_S = 3600
    link = sharing.share_link_make(transaction_pk=42)
    assert sharing.share_link_transaction_pk(token=link.token) == 42
    made_at = signing.time.time()
    with mock.patch.object(signing.time, "time", return_value=made_at + 3601), pytest.raises(sharing.ShareLinkExpired):
        sharing.share_link_transaction_pk(token=link.token)


@pytest.mark.parametrize("change", ["flip-a-letter", "cut", "other-salt", "empty"])
def test_a_changed_share_token_is_refused(change: str) -> None:
    token = sharing.share_link_make(transaction_pk=42).token
    changed = {
        "flip-a-letter": token[:3] + ("A" if token[3] != "A" else "B") + token[4:],
        "cut": token[:-4],
        "other-salt": signing.dumps({"transaction": 42}),
        "empty": "",
    }[change]
    with pytest.raises(sharing.ShareLinkInvalid):
        sharing.share_link_transaction_pk(token=changed)


def test_at_most_fifty_feeds_are_granted_and_the_rest_is_refused_in_one_line() -> None:
    names = [f"charger:{n}" for n in range(1, 10_001)]
    decision = feeds_permitted(user=_staff("view_chargepoint"), names=names)
    assert len(decision.allowed) == 50
    assert decision.refused == ["9950 more (at most 50 feeds at once)"]
