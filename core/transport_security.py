"""What the server learnt of a connection's transport, told to the application in two headers of its own.

daphne gives an ASGI websocket scope no scheme and no client certificate. The portal's daphne
(portal/daphne_server.py) removes these two headers from whatever a client sent, then sets them from the TLS
connection itself, or, with OCPP_TLS_PROXY_HEADERS, from the headers of the TLS-terminating proxy in front of it.
The OCPP consumer reads them to enforce a charger's security profile. A client cannot forge them: its own copies
are dropped before the application sees the request.
"""

from dataclasses import dataclass

TLS_HEADER = b"x-portal-tls"  # b"1" when the connection (or the proxy's) was TLS
CLIENT_CERT_CN_HEADER = b"x-portal-client-cert-cn"  # the CN of a client certificate the CA verified
INTERNAL_HEADERS = (TLS_HEADER, CLIENT_CERT_CN_HEADER)


@dataclass(frozen=True)
class TransportSecurity:
    tls: bool = False
    client_cert_cn: str = ""


def transport_security(headers: list[tuple[bytes, bytes]]) -> TransportSecurity:
    """The transport's security as the server set it in an ASGI scope's headers."""
    found = {name: value for name, value in headers if name in INTERNAL_HEADERS}
    return TransportSecurity(
        tls=found.get(TLS_HEADER) == b"1",
        client_cert_cn=found.get(CLIENT_CERT_CN_HEADER, b"").decode("latin1"),
    )
