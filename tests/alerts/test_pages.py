"""The alerts pages and who may do what on them: operators see and acknowledge, read-only viewers see only,
customers and the anonymous nothing; each operator keeps their own subscription."""

import pytest
from django.contrib.auth.models import Group

from alerts import selectors
from alerts.models import Alert, AlertKind, Subscription
from alerts.services import alert_raise
from portal.roles import VIEWERS_GROUP
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory
from transactions.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts():
    charger = ChargePointFactory(charge_point_id="CP-PAGE")
    older = alert_raise(kind=AlertKind.CHARGER_OFFLINE, subject="cp:old", message="CP-OLD is offline")
    older.cleared_at = older.raised_at
    older.save()
    fault = alert_raise(
        kind=AlertKind.CONNECTOR_FAULTED,
        subject=f"cp:{charger.pk}:c:1",
        message="CP-PAGE connector 1 reports Faulted (GroundFailure)",
        charge_point_pk=charger.pk,
        connector_id=1,
    )
    return fault, older


def operator(**fields):
    # No password: these users log in with force_login, and hashing one costs a third of a second.
    return OperatorFactory(password=None, **fields)


def customer():
    return UserFactory(password=None)


def viewer():
    user = operator()
    user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    return user


def test_an_operator_sees_open_alerts_before_cleared_ones_with_times_for_the_browser_to_localise(
    client, alerts
) -> None:
    fault, older = alerts
    client.force_login(operator())
    page = client.get("/alerts/").content.decode()

    assert page.index("GroundFailure") < page.index("CP-OLD is offline")
    iso = fault.raised_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<time datetime="{iso}" data-local>' in page
    assert f'action="/alerts/{fault.pk}/acknowledge/"' in page
    assert f'action="/alerts/{older.pk}/acknowledge/"' not in page  # cleared: nothing to acknowledge
    assert '"fleet"' in page and "js/alerts.js" in page  # live: the fleet feed brings new ones


def test_an_operator_acknowledges_an_alert_and_a_second_click_keeps_the_first(client, alerts) -> None:
    fault, _ = alerts
    first, second = operator(), operator()
    client.force_login(first)
    assert client.post(f"/alerts/{fault.pk}/acknowledge/").status_code == 302
    client.force_login(second)
    client.post(f"/alerts/{fault.pk}/acknowledge/")

    fault.refresh_from_db()
    assert fault.acknowledged_by == first and fault.acknowledged_at is not None
    assert f"{first.username}, <time" in client.get("/alerts/").content.decode()


def test_a_viewer_sees_alerts_but_cannot_acknowledge_them(client, alerts) -> None:
    fault, _ = alerts
    client.force_login(viewer())

    page = client.get("/alerts/")
    assert page.status_code == 200 and "GroundFailure" in page.content.decode()
    assert "/acknowledge/" not in page.content.decode()
    assert client.post(f"/alerts/{fault.pk}/acknowledge/").status_code == 403
    fault.refresh_from_db()
    assert fault.acknowledged_at is None


def test_customers_get_403_and_the_anonymous_the_login_page(client, alerts) -> None:
    fault, _ = alerts
    client.force_login(customer())
    assert client.get("/alerts/").status_code == 403
    assert client.get("/alerts/subscription/").status_code == 403
    assert client.post(f"/alerts/{fault.pk}/acknowledge/").status_code == 403
    client.logout()
    assert client.get("/alerts/")["Location"].startswith("/accounts/login/")
    assert client.post(f"/alerts/{fault.pk}/acknowledge/").status_code == 302
    assert Alert.objects.get(pk=fault.pk).acknowledged_at is None


def test_acknowledging_needs_a_post_and_an_alert_that_exists(client, alerts) -> None:
    fault, _ = alerts
    client.force_login(operator())
    assert client.get(f"/alerts/{fault.pk}/acknowledge/").status_code == 405
    assert client.post("/alerts/999999/acknowledge/").status_code == 404


def test_an_operator_saves_their_own_subscription_and_each_page_shows_only_its_own(client) -> None:
    depot = Site.objects.create(name="Depot")
    alice, bob = operator(email="alice@example.com"), viewer()
    client.force_login(alice)
    form = client.get("/alerts/subscription/").content.decode()
    assert 'value="site_offline"' in form and "checked" in form and "Depot" in form and "<legend>" in form

    saved = client.post(
        "/alerts/subscription/", {"kinds": ["site_offline", "charger_offline"], "sites": [depot.pk], "email": "on"}
    )

    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    mine = Subscription.objects.get(user=alice)
    assert (mine.kinds, list(mine.sites.all()), mine.email) == (["charger_offline", "site_offline"], [depot], True)
    client.force_login(bob)  # a viewer keeps a subscription too (it changes nothing of the fleet)
    assert client.post("/alerts/subscription/", {"kinds": ["session_silent"]}).status_code == 200
    assert Subscription.objects.get(user=bob).kinds == ["session_silent"]
    assert Subscription.objects.get(user=alice).kinds == ["charger_offline", "site_offline"]


@pytest.mark.parametrize(
    ("form", "field_said"),
    [({"kinds": ["fire"]}, "fire is not one of the available choices"), ({"email": "on"}, "no e-mail address")],
)
def test_a_bad_subscription_is_refused_with_the_reason_and_the_old_one_kept(client, form, field_said) -> None:
    user = operator(email="")
    Subscription.objects.create(user=user, kinds=["session_silent"])
    client.force_login(user)

    answer = client.post("/alerts/subscription/", form)

    assert answer.status_code == 400 and field_said in answer.content.decode()
    assert Subscription.objects.get(user=user).kinds == ["session_silent"]


def test_a_page_of_open_alerts_shows_the_newest_and_says_how_many_there_are() -> None:
    for n in range(4):
        alert_raise(kind=AlertKind.CHARGER_OFFLINE, subject=f"cp:many{n}", message=f"CP-MANY{n} is offline")
    page = selectors.alert_page(open_limit=3)

    assert page.open_count == 4
    assert [a.message for a in page.open_alerts] == [f"CP-MANY{n} is offline" for n in (3, 2, 1)]
