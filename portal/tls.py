"""TLS for `make run` (security profiles 2 and 3): the server's options from TLS_CERT, TLS_KEY and TLS_CLIENT_CA,
and what a connection's TLS, or the TLS-terminating proxy in front, says about the client.

Profile 3 and pages share one port: a client certificate is asked for and verified against TLS_CLIENT_CA when
the client has one, and not required, so profile-2 chargers and browsers connect as well. Which charger must
present one is the charger's security profile, checked by the OCPP consumer (chargers/services/authentication.py).
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from OpenSSL import crypto
from twisted.internet import ssl
from twisted.internet.interfaces import ISSLTransport

from core.transport_security import CLIENT_CERT_CN_HEADER, INTERNAL_HEADERS, TLS_HEADER

DEFAULT_TLS_PORT = 8443
# nginx's $ssl_client_s_dn is RFC 2253: "CN=CP-1,O=Fleet"; a comma inside a value is escaped as "\,".
_CN_IN_DN = re.compile(r"(?:^|,)\s*CN=((?:\\.|[^,])*)")


@dataclass(frozen=True)
class TlsConfig:
    cert: Path
    key: Path
    port: int
    client_ca: Path | None


def tls_config(env: dict[str, str]) -> TlsConfig | None:
    """TLS as the environment asks for it, or None when TLS_CERT and TLS_KEY are not both set."""
    cert, key = env.get("TLS_CERT", "").strip(), env.get("TLS_KEY", "").strip()
    if not cert and not key:
        return None
    if not cert or not key:
        raise SystemExit("TLS needs both TLS_CERT and TLS_KEY (PEM files)")
    client_ca = env.get("TLS_CLIENT_CA", "").strip()
    return TlsConfig(
        Path(cert), Path(key), int(env.get("TLS_PORT") or DEFAULT_TLS_PORT), Path(client_ca) if client_ca else None
    )


def tls_options(config: TlsConfig) -> ssl.CertificateOptions:
    """The server's certificate (and the chain after it in TLS_CERT), its key, and the CA of client certificates."""
    try:
        certificates = _pem_certificates(config.cert.read_bytes())
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, config.key.read_bytes())
        client_cas = _pem_certificates(config.client_ca.read_bytes()) if config.client_ca else []
    except (OSError, crypto.Error, ValueError) as error:
        raise SystemExit(f"TLS: cannot read the certificate, key or client CA: {error}") from None
    options = {"privateKey": key, "certificate": certificates[0], "extraCertChain": certificates[1:]}
    if client_cas:
        # Verified when presented, not required: profile-2 chargers and browsers use the same port.
        options.update(verify=True, caCerts=client_cas, requireCertificate=False)
    return ssl.CertificateOptions(**options)


def _pem_certificates(pem: bytes) -> list[crypto.X509]:
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.DOTALL)
    if not blocks:
        raise ValueError("no PEM certificate found")
    return [crypto.load_certificate(crypto.FILETYPE_PEM, block) for block in blocks]


def transport_security_headers(headers: dict[str, str], transport: object, *, trust_proxy: bool) -> None:
    """Set the portal's transport headers in a websocket request's headers (autobahn's dict: lower-case names),
    after dropping whatever a client sent under those names."""
    for name in INTERNAL_HEADERS:
        headers.pop(name.decode(), None)
    tls, client_cn = False, ""
    if ISSLTransport.providedBy(transport):
        tls = True
        certificate = transport.getPeerCertificate()  # verified against TLS_CLIENT_CA by the handshake, or None
        client_cn = (certificate.get_subject().CN or "") if certificate is not None else ""
    elif trust_proxy:
        tls = headers.get("x-forwarded-proto", "").lower() in ("https", "wss")
        if tls and headers.get("x-ssl-client-verify", "") == "SUCCESS":
            client_cn = dn_common_name(headers.get("x-ssl-client-s-dn", ""))
    if tls:
        headers[TLS_HEADER.decode()] = "1"
    if client_cn:
        headers[CLIENT_CERT_CN_HEADER.decode()] = client_cn


def dn_common_name(dn: str) -> str:
    """The CN of an RFC 2253 distinguished name ("CN=CP-1,O=Fleet" -> "CP-1"), unescaped; "" when it has none."""
    match = _CN_IN_DN.search(dn)
    return re.sub(r"\\(.)", r"\1", match[1]) if match else ""


def trust_proxy_headers() -> bool:
    return os.environ.get("OCPP_TLS_PROXY_HEADERS", "").lower() in ("1", "true", "yes")
