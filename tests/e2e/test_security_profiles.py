"""Security profiles 2 and 3 over real TLS: the portal's daphne serves wss and https itself (TLS_CERT, TLS_KEY,
TLS_CLIENT_CA), and each charger is held to the profile set on its row."""

import asyncio
import ssl
import urllib.request
import uuid

import pytest
import websockets

from chargers.models import ChargePoint, ConnectionAttempt
from chargers.services import charge_point_register
from portal.tls import dn_common_name, tls_config
from tests.certificates import CertificateAuthority
from tests.conftest import free_port, start_portal
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "a-key-of-sixteen-or-more"


class TlsPortal:
    def __init__(self, server, tls_port: int, fleet: CertificateAuthority, rogue: CertificateAuthority) -> None:
        self.server = server
        self.ws_url = server.ocpp_url
        self.wss_url = f"wss://127.0.0.1:{tls_port}/ocpp"
        self.https_url = f"https://127.0.0.1:{tls_port}"
        self.fleet = fleet
        self.rogue = rogue

    def context(self, client_cn: str = "", *, authority: CertificateAuthority | None = None) -> ssl.SSLContext:
        """A charger's TLS context: it trusts the portal's CA and, with `client_cn`, presents a certificate."""
        context = ssl.create_default_context(cafile=str(self.fleet.cert))
        if client_cn:
            issued = (authority or self.fleet).issue(client_cn)
            context.load_cert_chain(str(issued.cert), str(issued.key))
        return context


@pytest.fixture(scope="module")
def tls_portal(django_db_setup, django_db_blocker, tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    fleet, rogue = CertificateAuthority(directory, "fleet"), CertificateAuthority(directory, "rogue")
    server_certificate = fleet.issue("127.0.0.1", server=True)
    tls_port = free_port()
    server = start_portal(
        web_concurrency=1,
        OCPP_REGISTRATION="accept",
        TLS_CERT=str(server_certificate.cert),
        TLS_KEY=str(server_certificate.key),
        TLS_CLIENT_CA=str(fleet.cert),
        TLS_PORT=str(tls_port),
    )
    yield TlsPortal(server, tls_port, fleet, rogue)
    server.stop()


def charger_with_profile(profile: int) -> ChargePoint:
    charger = charge_point_register(charge_point_id=f"TLS-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    ChargePoint.objects.filter(pk=charger.pk).update(security_profile=profile)
    return charger


async def boots(url: str, ident: str, **options) -> bool:
    """Whether the charger gets through the handshake and its BootNotification is answered."""
    try:
        async with SimulatedCharger(url, ident, **options) as sim:
            return (await sim.boot())["status"] == "Accepted"
    except websockets.InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


def last_refusal(charger: ChargePoint) -> str:
    return ConnectionAttempt.objects.filter(charge_point_ident=charger.charge_point_id).latest("id").reason


def test_a_profile_2_charger_connects_over_wss_and_is_refused_on_plain_ws_with_the_reason_logged(tls_portal) -> None:
    charger = charger_with_profile(2)
    ident = charger.charge_point_id
    assert asyncio.run(boots(tls_portal.wss_url, ident, password=KEY, ssl=tls_portal.context()))
    assert not asyncio.run(boots(tls_portal.ws_url, ident, password=KEY))
    assert "security profile 2 needs TLS" in last_refusal(charger)
    # Over TLS the Basic auth still counts.
    assert not asyncio.run(
        boots(tls_portal.wss_url, ident, password="a-wrong-key-of-sixteen", ssl=tls_portal.context())
    )
    assert last_refusal(charger) == "wrong AuthorizationKey"


def test_a_client_cannot_forge_the_servers_own_transport_headers(tls_portal) -> None:
    charger = charger_with_profile(3)
    forged = {"X-Portal-TLS": "1", "X-Portal-Client-Cert-CN": charger.charge_point_id}
    assert not asyncio.run(boots(tls_portal.ws_url, charger.charge_point_id, password=KEY, headers=forged))
    assert "security profile 3 needs TLS" in last_refusal(charger)


def test_a_profile_3_charger_connects_with_its_certificate_and_needs_no_basic_auth(tls_portal) -> None:
    charger = charger_with_profile(3)
    ident = charger.charge_point_id
    assert asyncio.run(boots(tls_portal.wss_url, ident, ssl=tls_portal.context(ident)))


@pytest.mark.parametrize("presented", ["none", "another charger's"])
def test_a_profile_3_charger_is_refused_without_its_own_certificate(tls_portal, presented) -> None:
    charger = charger_with_profile(3)
    ident = charger.charge_point_id
    context = tls_portal.context("" if presented == "none" else "TLS-SOMEONE-ELSE")
    assert not asyncio.run(boots(tls_portal.wss_url, ident, password=KEY, ssl=context))
    assert f"needs a client certificate with CN {ident}" in last_refusal(charger)


def test_a_certificate_from_another_authority_does_not_get_through_tls(tls_portal) -> None:
    charger = charger_with_profile(3)
    context = tls_portal.context(charger.charge_point_id, authority=tls_portal.rogue)
    with pytest.raises((ssl.SSLError, ConnectionError, websockets.InvalidMessage, EOFError)):
        asyncio.run(boots(tls_portal.wss_url, charger.charge_point_id, ssl=context))
    # Refused by TLS itself, before any HTTP: the charger never reached the portal's handshake.
    assert not ConnectionAttempt.objects.filter(charge_point_ident=charger.charge_point_id).exists()


def test_a_profile_1_charger_may_use_either_and_pages_are_served_over_https(tls_portal) -> None:
    charger = charger_with_profile(1)
    assert asyncio.run(boots(tls_portal.ws_url, charger.charge_point_id, password=KEY))
    assert asyncio.run(boots(tls_portal.wss_url, charger.charge_point_id, password=KEY, ssl=tls_portal.context()))
    page = urllib.request.urlopen(f"{tls_portal.https_url}/accounts/login/", context=tls_portal.context(), timeout=10)
    assert page.status == 200


def test_behind_a_trusted_proxy_its_verified_certificate_headers_count_and_otherwise_not(django_db_setup) -> None:
    charger = charger_with_profile(3)
    ident = charger.charge_point_id
    proxied = {
        "X-Forwarded-Proto": "https",
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-S-DN": f"CN={ident},O=Fleet",
    }
    behind_proxy = start_portal(OCPP_REGISTRATION="accept", OCPP_TLS_PROXY_HEADERS="true")
    try:
        assert asyncio.run(boots(behind_proxy.ocpp_url, ident, headers=proxied))
        failed = {**proxied, "X-SSL-Client-Verify": "FAILED:unable to verify"}
        assert not asyncio.run(boots(behind_proxy.ocpp_url, ident, headers=failed))
    finally:
        behind_proxy.stop()


def test_a_distinguished_name_gives_its_common_name_unescaped() -> None:
    assert dn_common_name("CN=CP-1,O=Fleet") == "CP-1"
    assert dn_common_name("O=Fleet,CN=CP\\,2") == "CP,2"
    assert dn_common_name("O=Fleet") == ""


def test_tls_needs_both_the_certificate_and_the_key() -> None:
    assert tls_config({}) is None
    with pytest.raises(SystemExit, match="both TLS_CERT and TLS_KEY"):
        tls_config({"TLS_CERT": "/etc/cert.pem"})
    assert tls_config({"TLS_CERT": "c.pem", "TLS_KEY": "k.pem"}).port == 8443
