"""The one authorization decision (rfid/services/authorization.py): each outcome and the group rules. The same
decision through the real OCPP handlers is in tests/e2e/test_authorization.py."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers.commands.services import command_create
from chargers.models import Command
from rfid.models import IdTag, IdTagStatus
from rfid.services import CONCURRENT_TX, id_tag_authorize, id_tag_create
from tests.factories import ChargePointFactory, TransactionFactory
from transactions.models import Site

pytestmark = pytest.mark.django_db


def _no_schema_problem(action: str, payload: dict) -> None:
    return None


def test_an_unknown_tag_is_invalid_with_an_expiry_date_for_the_charger_s_cache(settings) -> None:
    settings.RFID_AUTH_CACHE_S = 600
    answer = id_tag_authorize(raw="00112233")
    assert answer.status == IdTagStatus.INVALID
    assert not answer.known
    assert timedelta(seconds=590) < answer.expiry_date - timezone.now() <= timedelta(seconds=600)


def test_an_accepted_tag_expires_in_the_cache_at_its_own_expiry_when_sooner(settings) -> None:
    settings.RFID_AUTH_CACHE_S = 3600
    soon = timezone.now() + timedelta(minutes=5)
    id_tag_create(id_tag="AA11", expires_at=soon)
    answer = id_tag_authorize(raw="aa11")
    assert (answer.status, answer.expiry_date) == (IdTagStatus.ACCEPTED, soon)


def test_a_blocked_tag_and_an_expired_tag_are_refused_with_their_status() -> None:
    id_tag_create(id_tag="B10C", status=IdTagStatus.BLOCKED)
    id_tag_create(id_tag="E1D0", expires_at=timezone.now() - timedelta(days=1))
    assert id_tag_authorize(raw="B10C").status == IdTagStatus.BLOCKED
    assert id_tag_authorize(raw="E1D0").status == IdTagStatus.EXPIRED


def test_a_tag_takes_the_status_of_its_blocked_or_expired_group_and_names_it() -> None:
    fleet = id_tag_create(id_tag="FLEET", status=IdTagStatus.BLOCKED)
    id_tag_create(id_tag="VAN1", parent=fleet)
    answer = id_tag_authorize(raw="VAN1")
    assert (answer.status, answer.parent_id_tag) == (IdTagStatus.BLOCKED, "FLEET")
    IdTag.objects.filter(pk=fleet.pk).update(
        status=IdTagStatus.ACCEPTED, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert id_tag_authorize(raw="VAN1").status == IdTagStatus.EXPIRED


def test_a_tag_limited_to_chosen_chargers_and_sites_is_invalid_elsewhere() -> None:
    site = Site.objects.create(name="Depot")
    chosen, on_site, elsewhere = ChargePointFactory(), ChargePointFactory(site=site), ChargePointFactory()
    tag = id_tag_create(id_tag="D0D0")
    tag.allowed_charge_points.add(chosen)
    tag.allowed_sites.add(site)
    outcomes = [id_tag_authorize(raw="D0D0", charge_point_pk=cp.pk).status for cp in (chosen, on_site, elsewhere)]
    assert outcomes == [IdTagStatus.ACCEPTED, IdTagStatus.ACCEPTED, IdTagStatus.INVALID]


def test_a_tag_charging_elsewhere_gets_concurrent_tx_but_its_own_resent_start_does_not() -> None:
    here, there = ChargePointFactory(), ChargePointFactory()
    id_tag_create(id_tag="77FD2AFA")
    TransactionFactory(charge_point=there, connector_id=1, id_tag="77fd2afa")  # stored as the charger sent it
    start_here = id_tag_authorize(raw="77FD2AFA", charge_point_pk=here.pk, connector_id=1, check_concurrent=True)
    resent_there = id_tag_authorize(raw="77FD2AFA", charge_point_pk=there.pk, connector_id=1, check_concurrent=True)
    # Stopping is not starting: StopTransaction's re-check does not ask.
    stop_here = id_tag_authorize(raw="77FD2AFA", charge_point_pk=here.pk)
    assert (start_here.status, resent_there.status, stop_here.status) == (
        CONCURRENT_TX,
        IdTagStatus.ACCEPTED,
        IdTagStatus.ACCEPTED,
    )


def test_a_group_charges_once_at_a_time_only_when_so_configured(settings) -> None:
    here, there = ChargePointFactory(), ChargePointFactory()
    fleet = id_tag_create(id_tag="FLEET")
    id_tag_create(id_tag="VAN1", parent=fleet)
    id_tag_create(id_tag="VAN2", parent=fleet)
    TransactionFactory(charge_point=there, id_tag="VAN1")
    settings.RFID_CONCURRENT_TX = "tag"
    assert id_tag_authorize(raw="VAN2", charge_point_pk=here.pk, connector_id=1, check_concurrent=True).accepted
    settings.RFID_CONCURRENT_TX = "group"
    answer = id_tag_authorize(raw="VAN2", charge_point_pk=here.pk, connector_id=1, check_concurrent=True)
    assert (answer.status, answer.parent_id_tag) == (CONCURRENT_TX, "FLEET")


def test_a_transaction_past_the_window_blocks_nobody(settings) -> None:
    settings.RFID_CONCURRENT_TX_WINDOW_H = 48
    id_tag_create(id_tag="01D5")
    TransactionFactory(id_tag="01D5", started_at=timezone.now() - timedelta(hours=49))
    answer = id_tag_authorize(
        raw="01D5", charge_point_pk=ChargePointFactory().pk, connector_id=1, check_concurrent=True
    )
    assert answer.accepted


def test_a_remote_start_for_a_blocked_or_busy_tag_is_refused_before_it_is_queued() -> None:
    charger, other = ChargePointFactory(), ChargePointFactory()
    id_tag_create(id_tag="B10C", status=IdTagStatus.BLOCKED)
    id_tag_create(id_tag="BUSY")
    TransactionFactory(charge_point=other, id_tag="BUSY")
    for tag, reason in (("B10C", "Blocked"), ("BUSY", "ConcurrentTx")):
        with pytest.raises(ValidationError) as refused:
            command_create(
                charge_point=charger,
                action="RemoteStartTransaction",
                payload={"idTag": tag, "connectorId": 1},
                check_payload=_no_schema_problem,
            )
        assert refused.value.message_dict["payload"] == [f"idTag: {tag} is {reason} at this charger"]
    assert not Command.objects.exists()
    # A token the portal does not know (an app's, a partner's) goes: the charger's Authorize decides.
    command_create(
        charge_point=charger,
        action="RemoteStartTransaction",
        payload={"idTag": "APPTOKEN1", "connectorId": 1},
        check_payload=_no_schema_problem,
        dispatch=False,
    )
    assert Command.objects.count() == 1
