"""The official OCPP 1.6 WSDLs (../shared/ocpp-wsdl, copied into this package as they are) read once: for each
operation its body elements and WS-Addressing actions, and for each body element the fields of its type.

The element names of the WSDLs are the OCPP-J payload names, one to one; what differs is only the wire (text in
elements instead of JSON types), which the types' XSD base types say how to read (codec.py).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from chargers.ocpp.soap.xml import safe_parser

XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"

CS_NAMESPACE = "urn://Ocpp/Cs/2015/10/"  # CentralSystemService: what chargers call
CP_NAMESPACE = "urn://Ocpp/Cp/2015/10/"  # ChargePointService: what the central system calls

_FILES = {
    CS_NAMESPACE: "OCPP_CentralSystemService_1.6.wsdl",
    CP_NAMESPACE: "OCPP_ChargePointService_1.6.wsdl",
}
_DIRECTORY = Path(__file__).resolve().parent / "wsdl"

# The scalar XSD types the two WSDLs use, as the JSON type OCPP-J gives the same field.
INT, DECIMAL, BOOLEAN, STRING = "int", "decimal", "boolean", "string"
_SCALARS = {"int": INT, "decimal": DECIMAL, "boolean": BOOLEAN}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # INT, DECIMAL, BOOLEAN, STRING, or the name of a complex type
    many: bool  # maxOccurs > 1: a JSON list


@dataclass(frozen=True)
class Operation:
    action: str  # the OCPP action, e.g. "BootNotification"
    request: str  # body element of the request, e.g. "bootNotificationRequest"
    response: str
    input_action: str  # wsa:Action of the request, e.g. "/BootNotification"
    output_action: str


@dataclass(frozen=True)
class Service:
    namespace: str
    operations: dict[str, Operation]  # by OCPP action
    by_request: dict[str, Operation]  # by request body element
    elements: dict[str, str]  # top-level element -> its complex type
    types: dict[str, tuple[Field, ...]]  # complex type -> its fields, in sequence order

    def fields(self, element: str) -> tuple[Field, ...]:
        return self.types[self.elements[element]]


def _local(qualified: str) -> str:
    return qualified.rpartition(":")[2]


def _simple_bases(schema: etree._Element) -> dict[str, str]:
    bases = {}
    for simple in schema.iter(f"{{{XSD}}}simpleType"):
        restriction = simple.find(f"{{{XSD}}}restriction")
        bases[simple.get("name")] = _local(restriction.get("base")) if restriction is not None else "string"
    return bases


def _kind(type_name: str, simple: dict[str, str], complex_names: set[str]) -> str:
    local = _local(type_name)
    if local in complex_names:
        return local
    return _SCALARS.get(simple.get(local, local), STRING)


def _repeats(element: etree._Element) -> bool:
    """maxOccurs above one (XSD's default is one)."""
    return element.get("maxOccurs", "1") != "1"


def _types(schema: etree._Element) -> dict[str, tuple[Field, ...]]:
    simple = _simple_bases(schema)
    complex_types = list(schema.iter(f"{{{XSD}}}complexType"))
    names = {complex_type.get("name") for complex_type in complex_types}
    return {
        complex_type.get("name"): tuple(
            Field(element.get("name"), _kind(element.get("type"), simple, names), _repeats(element))
            for element in complex_type.iter(f"{{{XSD}}}element")
        )
        for complex_type in complex_types
    }


def _operations(root: etree._Element) -> list[Operation]:
    parts = {
        message.get("name"): _local(message.find(f"{{{WSDL}}}part").get("element"))
        for message in root.iter(f"{{{WSDL}}}message")
    }
    port_type = root.find(f"{{{WSDL}}}portType")
    found = []
    for operation in port_type.iter(f"{{{WSDL}}}operation"):
        given, taken = operation.find(f"{{{WSDL}}}input"), operation.find(f"{{{WSDL}}}output")
        found.append(
            Operation(
                action=operation.get("name"),
                request=parts[_local(given.get("message"))],
                response=parts[_local(taken.get("message"))],
                input_action=given.get(f"{{{WSAW}}}Action"),
                output_action=taken.get(f"{{{WSAW}}}Action"),
            )
        )
    return found


@cache
def service(namespace: str) -> Service:
    """The CentralSystemService (CS_NAMESPACE) or the ChargePointService (CP_NAMESPACE)."""
    root = etree.parse(str(_DIRECTORY / _FILES[namespace]), safe_parser()).getroot()
    schema = root.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    operations = _operations(root)
    elements = {
        element.get("name"): _local(element.get("type"))
        for element in schema.findall(f"{{{XSD}}}element")
        if element.get("type", "").startswith("tns:")
    }
    return Service(
        namespace=namespace,
        operations={operation.action: operation for operation in operations},
        by_request={operation.request: operation for operation in operations},
        elements=elements,
        types=_types(schema),
    )
