"""autobahn's debug-line arguments are formatted only when a line is written (portal/autobahn_quiet.py)."""

from pprint import pformat

from autobahn.twisted import websocket as twisted_websocket
from autobahn.util import hltype, hlval
from autobahn.websocket import protocol

from portal.autobahn_quiet import Deferred, make_debug_arguments_lazy


def test_after_the_swap_autobahn_s_helpers_return_placeholders_that_read_as_the_originals() -> None:
    make_debug_arguments_lazy()
    make_debug_arguments_lazy()  # a second call (a restarted server in one process) does not wrap twice
    options = [("autoPingInterval", 0, "Factory"), ("failByDrop", False, "Factory")]
    placed = protocol.pformat(options)
    assert isinstance(placed, Deferred)
    assert f"\n{placed}" == f"\n{pformat(options)}"
    assert "{peer}".format(peer=twisted_websocket.hlval("tcp4:10.0.0.1:5000")) == hlval("tcp4:10.0.0.1:5000")
    assert str(protocol.hltype(pformat)) == hltype(pformat)


def test_a_placeholder_is_never_formatted_when_nobody_reads_it() -> None:
    calls = []
    Deferred(lambda: calls.append(1), (), {})
    assert calls == []


def test_autobahn_s_timings_still_print_as_text() -> None:
    make_debug_arguments_lazy()
    timings = protocol.Timings()
    timings.track("onOpen")
    assert isinstance(str(timings), str) and "onOpen" in str(timings)
