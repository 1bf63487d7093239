"""daphne as the Procfile starts it (`python -m portal.daphne_server`, same options as `daphne`), telling a
charger and the consumer why a frame over the size limit ended the session.

Plain daphne refuses a websocket message over `--websocket-max-message-size` (1 MiB by default, the limit
INTERFACES.md promises) the way autobahn does by default: it drops the TCP connection without a close frame
(failByDrop), and the application's websocket.disconnect says only 1006. Here autobahn sends the close frame
1009 (Message Too Big) instead, and the disconnect carries 1009, so the consumer can log the refused frame
against the charger. Both changes go through daphne's own hooks: the CLI's `server_class`, the server's
`ready_callable` (called once the websocket factory exists, before anything is accepted) and the factory's
`protocol`.

With TLS (portal/daphne_pool.py hands over a second listening socket in PORTAL_TLS_FD), the same server answers
https and wss on it, and every websocket request carries what its transport was (portal/tls.py), from which the
OCPP consumer enforces each charger's security profile.
"""

import os
import socket

from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor
from twisted.protocols.tls import TLSMemoryBIOFactory

from portal.autobahn_quiet import make_debug_arguments_lazy
from portal.tls import tls_config, tls_options, transport_security_headers, trust_proxy_headers

MESSAGE_TOO_BIG = AutobahnProtocol.CLOSE_STATUS_CODE_MESSAGE_TOO_BIG


class SizeReportingWebSocketProtocol(WebSocketProtocol):
    def onConnect(self, request: object) -> object:
        # Before daphne copies the headers into the scope: the transport's own say, never a client's.
        transport_security_headers(request.headers, self.transport, trust_proxy=self.factory.trust_proxy_headers)
        return super().onConnect(request)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        # autobahn itself sent the 1009 (an application cannot: sendClose refuses codes below 3000). The
        # charger may echo it or just hang up (1006): either way this session ended on an oversized frame.
        if self.localCloseCode == MESSAGE_TOO_BIG:
            code = MESSAGE_TOO_BIG
        super().onClose(wasClean, code, reason)


class BodyKeepingWebRequest(WebRequest):
    """daphne's request without Twisted's parsing of form bodies into `request.args`, which daphne never reads
    (Django parses the body itself). Twisted answers a multipart body it cannot parse with a bare 400 of no
    headers and no body, before the application could say in JSON what is wrong with it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


class PortalServer(Server):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, ready_callable=self._configure_websockets, **kwargs)

    def _configure_websockets(self) -> None:
        # Twisted closes a connection that sent nothing for this long while its request is unfinished (a
        # handshake that never completes, one byte now and then: slowloris); its default is 12 hours. A request
        # being handled, and a websocket once upgraded, are not timed (twisted.web.http stops the timer).
        self.http_factory.timeOut = float(os.environ.get("HTTP_IDLE_TIMEOUT_S", "30"))
        self.http_factory.buildProtocol = self._build_http_protocol
        self.ws_factory.protocol = SizeReportingWebSocketProtocol
        make_debug_arguments_lazy()  # autobahn's debug lines cost a tenth of a handshake: portal/autobahn_quiet.py
        self.ws_factory.setProtocolOptions(failByDrop=False)
        self.ws_factory.trust_proxy_headers = trust_proxy_headers()
        self._listen_tls()

    def _build_http_protocol(self, addr: object) -> object:
        protocol = HTTPFactory.buildProtocol(self.http_factory, addr)
        protocol.requestFactory = BodyKeepingWebRequest
        return protocol

    def _listen_tls(self) -> None:
        """https and wss on the socket the pool bound for them, with the same HTTP and websocket factories."""
        fd = os.environ.get("PORTAL_TLS_FD")
        config = tls_config(dict(os.environ))
        if not fd or config is None:
            return
        factory = TLSMemoryBIOFactory(tls_options(config), False, self.http_factory)
        os.set_blocking(int(fd), False)  # the reactor's accept() must not block (Twisted's fd endpoint does the same)
        reactor.adoptStreamPort(int(fd), socket.AF_INET, factory)


class PortalCommandLine(CommandLineInterface):
    server_class = PortalServer


if __name__ == "__main__":
    PortalCommandLine.entrypoint()
