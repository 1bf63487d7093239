"""The load loop's rules on the database (transactions/load/services.py), the site load API and the load panel of a
site's page. The commands are queued, not sent (no server here): tests/e2e/test_site_load.py sends them."""

from decimal import Decimal

import pytest

from chargers.models import Command, CommandStatus
from tests.factories import ChargePointFactory, OperatorFactory, TransactionFactory, UserFactory, token_client
from tests.portal.test_api_scopes import key_client
from tests.transactions.records import viewer
from transactions.load.models import LoadAllocation, LoadPoint
from transactions.load.services import site_load_balance
from transactions.models import Site

pytestmark = pytest.mark.django_db


def session(site: Site, **point: object):
    charger = ChargePointFactory(site=site, is_online=True)
    if point:
        LoadPoint.objects.create(charge_point=charger, **point)
    return TransactionFactory(charge_point=charger)


def idle(site: Site, count: int) -> None:
    """Chargers on the site without a session: four on 20 A leave each connector 5 A, below the EV's 6 A, so the
    safe default is 0 A and nothing is reserved (the rounds below share the whole limit)."""
    for _ in range(count):
        ChargePointFactory(site=site, is_online=True)


def limits(commands: list[Command]) -> dict[int, float]:
    """transaction id -> the limit each queued TxProfile carries (the round's defaults: defaults())."""
    found = {}
    for command in commands:
        profile = command.payload["csChargingProfiles"]
        assert command.action == "SetChargingProfile"
        if profile["chargingProfilePurpose"] == "TxDefaultProfile":
            continue
        assert profile["chargingProfilePurpose"] == "TxProfile"
        found[profile["transactionId"]] = profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
    return found


def defaults(commands: list[Command]) -> dict[int, float]:
    """charger pk -> the limit of the TxDefaultProfile queued for it."""
    return {
        c.charge_point_id: c.payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
        for c in commands
        if c.payload["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"
    }


def answer(commands: list[Command], status: str = CommandStatus.ACCEPTED) -> None:
    Command.objects.filter(pk__in=[c.pk for c in commands]).update(status=status)


def test_decreases_go_out_first_and_the_raises_only_once_they_were_answered() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    idle(site, 3)
    first = session(site)
    sent = site_load_balance(site=site)
    assert limits(sent) == {first.pk: 20.0}
    answer(sent)
    second = session(site)
    # The first is cut to 10 A; the second's 10 A (above its 0 A default) waits for the cut's answer.
    cut = site_load_balance(site=site)
    assert limits(cut) == {first.pk: 10.0}
    assert site_load_balance(site=site) == []
    answer(cut)
    assert limits(site_load_balance(site=site)) == {second.pk: 10.0}
    row = LoadAllocation.objects.get(transaction=first)
    assert (row.limit_a, row.sent_limit_a, row.accepted_limit_a) == (Decimal(10), Decimal(10), Decimal(10))


def test_a_raise_of_one_amp_or_less_sends_nothing_but_any_cut_and_any_pause_does() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    idle(site, 2)
    sessions = [session(site), session(site)]
    answer(site_load_balance(site=site))
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(21))  # 10 A -> 10.5 A each: not worth a CALL
    assert site_load_balance(site=site) == []
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal("19.8"))  # 10 A -> 9.9 A: a cut goes out
    cut = site_load_balance(site=site)
    assert limits(cut) == {s.pk: 9.9 for s in sessions}
    answer(cut)
    third = session(site)  # 3 x 6 A = 18 A: all three at 6.6 A; the two are cut first
    cut = site_load_balance(site=site)
    assert limits(cut) == {s.pk: 6.6 for s in sessions}
    answer(cut)
    raised = site_load_balance(site=site)
    assert limits(raised) == {third.pk: 6.6}
    answer(raised)
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(17))  # room for two: the newest is paused
    paused = site_load_balance(site=site)
    assert limits(paused) == {third.pk: 0.0}  # the pause first, the two raises once it was answered
    answer(paused)
    assert limits(site_load_balance(site=site)) == {sessions[0].pk: 8.5, sessions[1].pk: 8.5}


def test_a_refused_profile_leaves_the_one_before_in_force_and_is_sent_again() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(16))
    one = session(site, phases=1, phase=2, max_current_a=Decimal(13))
    sent = site_load_balance(site=site)
    assert limits(sent) == {one.pk: 13.0}
    assert sent[0].payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"] == 1
    answer(sent, CommandStatus.REJECTED)
    assert limits(site_load_balance(site=site)) == {one.pk: 13.0}
    assert LoadAllocation.objects.get(transaction=one).accepted_limit_a is None


def test_a_stopped_session_loses_its_allocation_and_an_unmanaged_site_has_none() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(32))
    running, stopping = session(site), session(site)
    site_load_balance(site=site)
    stopping.stopped_at = stopping.started_at
    stopping.save()
    site_load_balance(site=site)
    assert list(LoadAllocation.objects.values_list("transaction_id", flat=True)) == [running.pk]
    Site.objects.filter(pk=site.pk).update(grid_limit_a=None)
    assert site_load_balance(site=site) == [] and not LoadAllocation.objects.exists()


def test_the_load_api_gives_limit_draw_and_shares_to_operators_and_viewers_only() -> None:
    site = Site.objects.create(name="Depot", grid_limit_kw=Decimal("13.8"))  # 13 800 W / (3 x 230 V) = 20 A
    one = session(site)
    site_load_balance(site=site)
    url = f"/api/v1/sites/{site.pk}/load/"
    body = token_client(viewer()).get(url).json()
    assert body["limit_a"] == 20.0 and body["measured_a"] is None
    assert body["allocations"] == [
        {
            "charge_point_id": one.charge_point.charge_point_id,
            "transaction_id": one.pk,
            "limit_a": 20.0,
            "sent_limit_a": 20.0,
            "accepted_limit_a": None,
        }
    ]
    assert token_client(UserFactory()).get(url).status_code == 403  # a customer
    assert token_client().get(url).status_code == 401
    assert key_client("commands").get(url).status_code == 403
    assert token_client(OperatorFactory()).get("/api/v1/sites/999999/load/").status_code == 404


def test_a_site_page_shows_its_load_panel_with_each_session_s_share(client) -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    sessions = [session(site), session(site)]
    site_load_balance(site=site)
    client.force_login(viewer())
    page = client.get(f"/sites/{site.pk}/").content.decode()
    panel = page.split('id="site-load"')[1].split("</section>")[0]
    assert "20.0 A" in panel and f"#{sessions[0].pk}" in panel and f"#{sessions[1].pk}" in panel
    assert panel.count("10.0 A") == 2 + 2  # both shares, both sent (each at its 10 A default: no raise)
    bare = Site.objects.create(name="Yard")
    assert "not managed" in client.get(f"/sites/{bare.pk}/").content.decode()


def test_a_cut_due_to_an_offline_charger_holds_the_raises_back_until_it_can_be_sent() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    idle(site, 3)
    first = session(site)
    answer(site_load_balance(site=site))
    first.charge_point.is_online = False
    first.charge_point.save()
    second = session(site)
    assert limits(site_load_balance(site=site)) == {}  # the first holds 20 A: the second waits at its 0 A default
    first.charge_point.is_online = True
    first.charge_point.save()
    cut = site_load_balance(site=site)
    assert limits(cut) == {first.pk: 10.0}
    answer(cut)
    assert limits(site_load_balance(site=site)) == {second.pk: 10.0}
