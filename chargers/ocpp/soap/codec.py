"""A body element to the OCPP-J payload dict and back, field by field as the WSDL types say (wsdl.py).

Reading is lenient and keeps what it cannot type (an int that is not one stays its text, an element the WSDL
does not name stays as text): the dispatch's schema check then answers it exactly as it answers the same
mistake over JSON (TypeConstraintViolation, or kept and noted in MeterValues and StopTransaction, rule 5).
Writing is strict: a field the WSDL does not name is a bug here, not something to send.
"""

from decimal import Decimal, InvalidOperation

from lxml import etree

from chargers.ocpp.soap.wsdl import BOOLEAN, DECIMAL, INT, STRING, Field, Service
from chargers.ocpp.soap.xml import local_name

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _scalar_in(kind: str, text: str) -> object:
    text = text.strip() if kind != STRING else text
    if kind == INT:
        try:
            return int(text)
        except ValueError:
            return text
    if kind == DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        # As JSON would read it: an int when whole, else a float (JSON has no decimal type).
        return int(number) if number == number.to_integral_value() and "." not in text else float(number)
    if kind == BOOLEAN:
        return _BOOLEANS.get(text, text)
    return text


def _value_in(service: Service, kind: str, element: etree._Element) -> object:
    if kind in service.types:
        return element_to_dict(service, service.types[kind], element)
    return _scalar_in(kind, element.text or "")


def element_to_dict(service: Service, fields: tuple[Field, ...], element: etree._Element) -> dict:
    """The payload dict of a body element (or of a complex value inside one)."""
    by_name = {field.name: field for field in fields}
    payload: dict = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment the parser kept
        name = local_name(child)
        field = by_name.get(name)
        if field is None:
            payload[name] = child.text or "" if len(child) == 0 else element_to_dict(service, (), child)
        elif field.many:
            payload.setdefault(name, []).append(_value_in(service, field.kind, child))
        else:
            payload[name] = _value_in(service, field.kind, child)
    return payload


def _scalar_out(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(str(value)), "f")
    return str(value)


def dict_to_element(service: Service, fields: tuple[Field, ...], payload: dict, element: etree._Element) -> None:
    """Fill `element` with the payload's fields, in the WSDL's sequence order."""
    unknown = set(payload) - {field.name for field in fields}
    if unknown:
        raise ValueError(f"not in the WSDL: {', '.join(sorted(unknown))}")
    for field in fields:
        if field.name not in payload or payload[field.name] is None:
            continue
        values = payload[field.name] if field.many else [payload[field.name]]
        for value in values:
            child = etree.SubElement(element, f"{{{service.namespace}}}{field.name}")
            if field.kind in service.types:
                dict_to_element(service, service.types[field.kind], value, child)
            else:
                child.text = _scalar_out(value)
