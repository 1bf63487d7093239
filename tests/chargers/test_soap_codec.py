"""The SOAP codec and envelopes (chargers/ocpp/soap/): the WSDL's elements map 1:1 to OCPP-J payloads, what we
write is valid against the WSDL's own schema, and hostile XML is refused before anything reads it."""

import copy

import pytest
from lxml import etree

from chargers.actions import CHARGER_ACTIONS
from chargers.ocpp.messages import ErrorCode
from chargers.ocpp.schemas import validate_request
from chargers.ocpp.soap.client import read_answer, request_envelope
from chargers.ocpp.soap.codec import dict_to_element, element_to_dict
from chargers.ocpp.soap.envelope import SoapFault, read_envelope
from chargers.ocpp.soap.wsdl import CP_NAMESPACE, CS_NAMESPACE, XSD, service
from chargers.ocpp.soap.xml import SOAP11, SOAP12, WSA
from tests.e2e.test_remote_commands import EIGHTEEN_OPERATIONS

ALL_CP_OPERATIONS = {
    **EIGHTEEN_OPERATIONS,
    "GetCompositeSchedule": {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"},
    "RemoteStartTransaction": {
        "idTag": "AABBCCDD",
        "connectorId": 1,
        "chargingProfile": {
            "chargingProfileId": 2,
            "stackLevel": 1,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 7400.5, "numberPhases": 3},
                    {"startPeriod": 600, "limit": 3700},
                ],
            },
        },
    },
}


def schema_of(namespace: str) -> etree.XMLSchema:
    """The XML Schema embedded in the official WSDL, as a validator of body elements."""
    path = {CS_NAMESPACE: "OCPP_CentralSystemService_1.6.wsdl", CP_NAMESPACE: "OCPP_ChargePointService_1.6.wsdl"}
    root = etree.parse(f"chargers/ocpp/soap/wsdl/{path[namespace]}").getroot()
    embedded = root.find(f"{{http://schemas.xmlsoap.org/wsdl/}}types/{{{XSD}}}schema")
    # Standalone, the schema needs the WSDL root's namespace prefixes (tns:, s:) declared on itself.
    schema = etree.Element(embedded.tag, attrib=dict(embedded.attrib), nsmap={**root.nsmap, **embedded.nsmap})
    schema.extend(copy.deepcopy(child) for child in embedded)
    return etree.XMLSchema(schema)


def test_the_eighteen_operations_and_their_payloads_map_one_to_one_to_the_wsdl() -> None:
    cp = service(CP_NAMESPACE)
    assert set(EIGHTEEN_OPERATIONS) <= set(cp.operations)
    assert len(cp.operations) == 19  # the 18 plus GetCompositeSchedule
    cs = service(CS_NAMESPACE)
    assert sorted(cs.operations) == sorted(CHARGER_ACTIONS)  # the ten a charger sends
    assert cs.operations["BootNotification"].output_action == "/BootNotificationResponse"


@pytest.mark.parametrize("action", sorted(ALL_CP_OPERATIONS))
def test_a_command_s_request_is_valid_per_the_wsdl_and_reads_back_as_the_same_payload(action) -> None:
    payload = ALL_CP_OPERATIONS[action]
    validate_request(action, payload)  # the test's payload is a valid OCPP-J one to begin with
    data = request_envelope(
        action=action, payload=payload, identity="CP-1", address="http://cp.example/", message_id="urn:uuid:1"
    )
    envelope = read_envelope(data, identity_namespace=CP_NAMESPACE)
    assert envelope.identity == "CP-1"
    assert envelope.action == f"/{action}"
    assert envelope.message_id == "urn:uuid:1"
    schema = schema_of(CP_NAMESPACE)
    assert schema.validate(envelope.body), schema.error_log
    cp = service(CP_NAMESPACE)
    assert element_to_dict(cp, cp.fields(cp.operations[action].request), envelope.body) == payload


def test_a_meter_values_request_reads_as_ocpp_j_with_lists_and_text_values() -> None:
    xml = f"""<meterValuesRequest xmlns="{CS_NAMESPACE}"><connectorId>1</connectorId><transactionId>42</transactionId>
      <meterValue><timestamp>2026-11-30T12:00:00Z</timestamp>
        <sampledValue><value>12.345</value><measurand>Energy.Active.Import.Register</measurand><unit>kWh</unit></sampledValue>
        <sampledValue><value>50.0</value><measurand>Frequency</measurand><unit>Hz</unit></sampledValue>
      </meterValue></meterValuesRequest>"""
    cs = service(CS_NAMESPACE)
    payload = element_to_dict(cs, cs.fields("meterValuesRequest"), etree.fromstring(xml))
    assert payload == {
        "connectorId": 1,
        "transactionId": 42,
        "meterValue": [
            {
                "timestamp": "2026-11-30T12:00:00Z",
                "sampledValue": [
                    {"value": "12.345", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                    {"value": "50.0", "measurand": "Frequency", "unit": "Hz"},
                ],
            }
        ],
    }


def test_a_value_that_is_not_its_type_is_kept_for_the_schema_check_to_refuse() -> None:
    cs = service(CS_NAMESPACE)
    element = etree.fromstring(
        f'<statusNotificationRequest xmlns="{CS_NAMESPACE}"><connectorId>one</connectorId>'
        "<status>Available</status><errorCode>NoError</errorCode><extra>x</extra></statusNotificationRequest>"
    )
    payload = element_to_dict(cs, cs.fields("statusNotificationRequest"), element)
    assert payload == {"connectorId": "one", "status": "Available", "errorCode": "NoError", "extra": "x"}


def test_writing_a_field_the_wsdl_does_not_name_is_refused() -> None:
    cs = service(CS_NAMESPACE)
    element = etree.Element(f"{{{CS_NAMESPACE}}}heartbeatResponse")
    with pytest.raises(ValueError, match="surprise"):
        dict_to_element(cs, cs.fields("heartbeatResponse"), {"currentTime": "x", "surprise": 1}, element)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>
<heartbeatRequest xmlns="urn://Ocpp/Cs/2015/10/">&secret;</heartbeatRequest></soap:Body></soap:Envelope>"""


def test_an_external_entity_is_never_read_and_the_envelope_is_refused() -> None:
    with pytest.raises(SoapFault) as refused:
        read_envelope(XXE, identity_namespace=CS_NAMESPACE)
    assert refused.value.http_status == 400
    assert "root:" not in refused.value.reason


def test_a_soap_1_1_envelope_is_a_version_mismatch() -> None:
    data = f'<e:Envelope xmlns:e="{SOAP11}"><e:Body><x/></e:Body></e:Envelope>'.encode()
    with pytest.raises(SoapFault) as refused:
        read_envelope(data, identity_namespace=CS_NAMESPACE)
    assert (refused.value.code, refused.value.http_status) == ("VersionMismatch", 415)


def test_a_charger_s_fault_answer_becomes_a_call_error_with_its_ocpp_code() -> None:
    fault = f"""<s:Envelope xmlns:s="{SOAP12}" xmlns:wsa="{WSA}" xmlns:cp="{CP_NAMESPACE}"><s:Body><s:Fault>
      <s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>cp:NotSupported</s:Value></s:Subcode></s:Code>
      <s:Reason><s:Text xml:lang="en">not on this model</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"""
    answer = read_answer(action="Reset", unique_id="u1", status=400, data=fault.encode())
    assert (answer.error_code, answer.error_description) == (ErrorCode.NOT_SUPPORTED, "not on this model")
    html = read_answer(action="Reset", unique_id="u1", status=404, data=b"<html><body>Not found</body></html>")
    assert html.error_code == ErrorCode.FORMATION_VIOLATION and html.error_description.startswith("HTTP 404")
