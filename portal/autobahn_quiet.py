"""autobahn's debug lines, formatted only when written.

autobahn (under daphne) logs at debug level on every connection and every chunk of data it receives, and builds
the arguments first: `pformat` of the connection's thirty options, coloured type names (`hltype`, through
click.style and inspect) and values (`hlval`). The logger then drops the line (nobody runs daphne at debug level),
but the formatting is paid: about a tenth of a daphne's CPU in a handshake storm and three styled strings for
every frame a charger sends (benchmarks/README.md, "the handshake after the group commits").

`make_debug_arguments_lazy()` swaps those three helpers, in the two autobahn modules that call them, for ones
that return a placeholder whose text is computed if and when a log line is formatted: a line that is written
reads as before, a line dropped costs a small object. Called once per daphne process (portal/daphne_server.py).
"""

from collections.abc import Callable
from pprint import pformat
from typing import Any

from autobahn.twisted import websocket as twisted_websocket
from autobahn.websocket import protocol

NAMES = ("pformat", "hltype", "hlval")
MODULES = (protocol, twisted_websocket)


class Deferred:
    """A log argument: `function(*args, **kwargs)` as text, computed when formatted."""

    __slots__ = ("args", "function", "kwargs")

    def __init__(self, function: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs

    def __str__(self) -> str:
        return str(self.function(*self.args, **self.kwargs))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    __repr__ = __str__


def _deferring(function: Callable[..., Any]) -> Callable[..., Deferred]:
    def deferred(*args: Any, **kwargs: Any) -> Deferred:
        return Deferred(function, args, kwargs)

    deferred.original = function  # type: ignore[attr-defined]  (so that a second call does not wrap twice)
    return deferred


def _timings_text(timings: protocol.Timings) -> str:
    return pformat(timings._timings)


def make_debug_arguments_lazy() -> None:
    for module in MODULES:
        for name in NAMES:
            current = getattr(module, name, None)
            if current is not None and not hasattr(current, "original"):
                setattr(module, name, _deferring(current))
    # The one call of them that is no log argument: a __str__ must return text itself.
    protocol.Timings.__str__ = _timings_text
