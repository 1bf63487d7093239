"""The charger page says how a charger speaks OCPP and, for a SOAP charger, where the portal calls it."""

import pytest
from django.utils import timezone

from chargers.models import Transport
from tests.factories import ChargePointFactory
from tests.live.test_pages import operator

pytestmark = pytest.mark.django_db


def test_the_charger_page_shows_a_soap_charger_s_transport_and_address(client) -> None:
    charger = ChargePointFactory(
        transport=Transport.OCPP16_SOAP, soap_address="http://10.0.0.7/ocpp", soap_address_seen_at=timezone.now()
    )
    client.force_login(operator())
    page = client.get(f"/chargers/{charger.charge_point_id}/").content.decode()
    assert "OCPP 1.6 SOAP</span> at <code>http://10.0.0.7/ocpp</code> (its wsa:From," in page


def test_an_operator_s_address_is_shown_with_what_the_charger_said(client) -> None:
    charger = ChargePointFactory(
        transport=Transport.OCPP16_SOAP,
        soap_address="http://192.168.1.20/ocpp",
        soap_address_override="http://vpn.example.net:8080/cp7",
    )
    client.force_login(operator())
    page = client.get(f"/chargers/{charger.charge_point_id}/").content.decode()
    assert "<code>http://vpn.example.net:8080/cp7</code> (set by an operator; it said http://192.168.1.20/ocpp)" in page


def test_a_json_charger_shows_its_transport_and_no_address(client) -> None:
    charger = ChargePointFactory()
    client.force_login(operator())
    page = client.get(f"/chargers/{charger.charge_point_id}/").content.decode()
    assert 'data-transport="ocpp16_json">OCPP 1.6 JSON</span> ·' in page
