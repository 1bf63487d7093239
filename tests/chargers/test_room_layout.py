"""Where the protocol room's code lives (issue 8): dispatch, the transports and the meter reading inside
chargers/ocpp/, the charge point services split by topic, raw SQL in chargers/bulk/, and nothing of the
services, readings or events reaching into the room.

The import graph is read from the source (function-level imports included), as in tests/imports.py.
"""

import ast
from pathlib import Path

import pytest

from chargers import consumers, routing
from chargers.ocpp import websocket
from tests.imports import ROOT, imports_of, reachable
from tests.imports import module_path as _path
from tests.imports import module_tree as _tree

CHARGE_POINT_SERVICES = ("authentication", "message_log", "registration", "sessions", "status")
# Rows, writes, reads and plain values: none of them may reach the protocol room.
INNER_MODULES = (
    *(f"chargers.services.{name}" for name in CHARGE_POINT_SERVICES),
    "chargers.bulk",
    "chargers.bulk.charge_points",
    "chargers.bulk.connectors",
    "chargers.events",
    "transactions.readings",
)
ROOM_MODULES = (
    "calls",
    "delivery",
    "dispatch",
    "frames",
    "handlers",
    "logbook",
    "messages",
    "metering",
    "session",
    "websocket",
    "writers",
)
SHORT_MODULES = (
    *INNER_MODULES,
    "chargers.services",
    *(f"chargers.ocpp.{name}" for name in ROOM_MODULES),
)


def _modules_of(app: str) -> list[str]:
    base = ROOT / app
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in base.rglob("*.py")
        if "migrations" not in path.parts
    )


@pytest.mark.parametrize("module", INNER_MODULES)
def test_services_readings_and_events_never_reach_the_protocol_room(module: str) -> None:
    assert not {m for m in reachable(module) if m.startswith("chargers.ocpp")}


@pytest.mark.parametrize("module", [*_modules_of("transactions"), *_modules_of("rfid")])
def test_transactions_and_rfid_never_import_the_protocol_room(module: str) -> None:
    assert not {m for m in imports_of(module) if m.startswith("chargers.ocpp")}


@pytest.mark.parametrize("old", ["chargers.services.charge_points", "chargers.ocpp.consumer", "transactions.metering"])
def test_the_old_modules_are_gone(old: str) -> None:
    assert _path(old) is None, f"{old} is still there"


def test_the_websocket_consumers_still_route_from_the_app() -> None:
    assert consumers.OcppConsumer is websocket.OcppConsumer
    assert routing.websocket_urlpatterns[0].callback.consumer_class is websocket.OcppConsumer


@pytest.mark.parametrize("module", SHORT_MODULES)
def test_the_room_and_the_charge_point_services_import_at_the_top_and_stay_short(module: str) -> None:
    assert len(Path(_path(module)).read_text().splitlines()) <= 400
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno - node.lineno < 45, f"{node.name} is {node.end_lineno - node.lineno + 1} lines"
            lazy = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not lazy, f"{node.name} imports inside its body"
