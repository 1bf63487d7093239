"""One mail per alert to the operators who subscribed to its kind and site, and to nobody else; sent by a real
Celery worker through Django's mail backends (the suite's worker writes mails as files: tests/conftest.py)."""

import time

import pytest

from alerts.models import AlertKind, Subscription
from alerts.services import alert_mail_send, alert_raise
from tests.conftest import worker_mail_dir
from tests.factories import OperatorFactory, StaffUserFactory, UserFactory
from transactions.models import Site


def subscriber(email: str, kinds: list[str], sites: tuple = (), mail: bool = True, factory=OperatorFactory):
    user = factory(email=email, password=None)  # no password hashing: these users never log in
    subscription = Subscription.objects.create(user=user, kinds=kinds, email=mail)
    subscription.sites.set(sites)
    return user


@pytest.mark.django_db
def test_the_mail_goes_to_subscribers_of_its_kind_and_site_once_and_to_nobody_else(mailoutbox) -> None:
    depot, yard = Site.objects.create(name="Depot"), Site.objects.create(name="Yard")
    subscriber("all@example.com", list(AlertKind.values))
    subscriber("depot@example.com", ["site_offline"], sites=(depot,))
    subscriber("yard@example.com", ["site_offline"], sites=(yard,))  # another site
    subscriber("faults@example.com", ["connector_faulted"])  # another kind
    subscriber("quiet@example.com", list(AlertKind.values), mail=False)  # in the portal only
    subscriber("customer@example.com", list(AlertKind.values), factory=UserFactory)  # not an operator
    subscriber("no-rights@example.com", list(AlertKind.values), factory=StaffUserFactory)  # staff without view
    alert = alert_raise(
        kind=AlertKind.SITE_OFFLINE,
        subject=f"site:{depot.pk}",
        message="site Depot: all 3 chargers are offline",
        site_pk=depot.pk,
    )

    assert alert_mail_send(alert_pk=alert.pk) == 2
    assert alert_mail_send(alert_pk=alert.pk) == 0  # a task delivered twice mails nobody twice

    assert sorted(address for mail in mailoutbox for address in mail.to) == ["all@example.com", "depot@example.com"]
    assert all(len(mail.to) == 1 for mail in mailoutbox)  # nobody sees the others' addresses
    assert "Site offline: site Depot: all 3 chargers are offline" in mailoutbox[0].subject
    assert "Site: Depot" in mailoutbox[0].body


@pytest.mark.django_db(transaction=True)
def test_a_raised_alert_is_mailed_by_the_celery_worker(celery_worker) -> None:
    subscriber("ops@example.com", ["charger_offline"])
    subscriber("other@example.com", ["session_silent"])
    before = set(worker_mail_dir().glob("*.log"))

    alert = alert_raise(kind=AlertKind.CHARGER_OFFLINE, subject="cp:mail", message="CP-MAIL is offline")

    deadline = time.monotonic() + 15
    while not (new := set(worker_mail_dir().glob("*.log")) - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    text = "".join(path.read_text() for path in new)
    assert "To: ops@example.com" in text and "CP-MAIL is offline" in text
    assert "other@example.com" not in text
    alert.refresh_from_db()
    assert alert.mailed_at is not None
