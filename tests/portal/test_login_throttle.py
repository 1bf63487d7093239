"""Wrong logins are throttled per account and per address, with counts every process shares (Redis)."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.contrib.auth import get_user_model

from tests.factories import OperatorFactory, token_client

PASSWORD = "a-long-password-1"
LOGIN = "/accounts/login/"


def new_account() -> str:
    # A fresh name per test: a name's count outlives the test in Redis.
    username = f"op-{uuid.uuid4().hex[:10]}"
    get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    return username


class Browser:
    """A browser's view of a real server: cookies, the CSRF token of the form, no redirects followed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def log_in(self, username: str, password: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + LOGIN, timeout=30) as page:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        request = urllib.request.Request(self.base_url + LOGIN, data=body.encode(), headers={"Referer": self.base_url})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_five_wrong_passwords_for_one_account_lock_it_in_every_process(portal, open_portal) -> None:
    username, other = new_account(), new_account()
    servers = [Browser(portal.http_url), Browser(open_portal.http_url)]

    wrong = [servers[attempt % 2].log_in(username, "wrong-password")[0] for attempt in range(5)]
    status, page = servers[0].log_in(username, PASSWORD)

    assert wrong == [200] * 5
    assert status == 429
    assert "Too many failed logins" in page
    # Another account from the same address is not locked out by someone else's failures.
    assert Browser(open_portal.http_url).log_in(other, PASSWORD)[0] == 302


@pytest.mark.django_db
def test_twenty_failures_from_one_address_lock_the_address(client) -> None:
    username = new_account()

    answers = [
        client.post(LOGIN, {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "x"}).status_code
        for _ in range(20)
    ]
    locked = client.post(LOGIN, {"username": username, "password": PASSWORD})

    assert answers == [200] * 20
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_successful_login_starts_the_accounts_count_again(client) -> None:
    username = new_account()

    for _ in range(4):
        assert client.post(LOGIN, {"username": username, "password": "wrong"}).status_code == 200
    assert client.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(4):
        assert client.post(LOGIN, {"username": username, "password": "wrong"}).status_code == 200

    assert client.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_the_admin_logs_in_through_the_same_throttled_page(client) -> None:
    response = client.get("/admin/login/?next=/admin/chargers/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/chargers/"
    # And an operator who logs in there lands in the admin.
    username = new_account()
    landed = client.post(f"{LOGIN}?next=/admin/", {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert landed.status_code == 302 and landed["Location"] == "/admin/"


@pytest.mark.django_db
def test_wrong_api_keys_from_one_address_are_throttled_too() -> None:
    right = token_client(OperatorFactory())
    wrong = token_client()
    wrong.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    answers = [wrong.get("/api/v1/chargers/").status_code for _ in range(20)]
    throttled = right.get("/api/v1/chargers/")

    assert answers == [401] * 20
    assert throttled.status_code == 429
    assert "Too many failed logins" in throttled.json()["detail"]
    assert int(throttled["Retry-After"]) > 0
    # A request without credentials is not an attempt: it is told to authenticate, as before.
    assert token_client().get("/api/v1/chargers/").status_code == 401
