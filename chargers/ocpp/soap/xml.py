"""XML as this transport reads it: one hardened lxml parser for everything that comes from outside (and the
WSDLs), and the namespaces of SOAP 1.2 and WS-Addressing."""

from lxml import etree

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSA_ANONYMOUS = f"{WSA}/anonymous"
WSA_NONE = f"{WSA}/none"

CONTENT_TYPE = "application/soap+xml; charset=utf-8"


def safe_parser() -> etree.XMLParser:
    """No entity expansion (XXE, billion laughs), no DTD or network fetch, no huge trees, no comments or
    processing instructions kept: a SOAP message needs none of them. A new parser per call: lxml parsers are
    not thread-safe, and the worker's threads and daphne's database threads both read XML."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """The document's root; raises etree.XMLSyntaxError (or ValueError for a DTD, which SOAP forbids)."""
    root = etree.fromstring(data, safe_parser())
    if root.getroottree().docinfo.doctype:
        # SOAP 1.2 part 1, 5: a message must not contain a document type declaration.
        raise ValueError("a SOAP message must not contain a document type declaration")
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""
