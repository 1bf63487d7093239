"""Where the command code lives (issue 8): one package inside the chargers app, same app label and tables, no
service, model, selector or form that reaches the protocol room, no import cycle, tasks under the names beat's
rows and the broker know them by. The import graph is read from the source (tests/imports.py)."""

import ast

import pytest
from django.conf import settings

from chargers import models as chargers_models
from chargers.commands import models as command_models
from portal.celery import app as celery_app
from tests.imports import ROOT, module_path, module_tree, reachable

PACKAGE = ROOT / "chargers" / "commands"
COMMAND_MODULES = (
    "admin",
    "api",
    "bulk",
    "dispatch",
    "effects",
    "forms",
    "models",
    "pipeline",
    "secrets",
    "selectors",
    "services",
    "tasks",
    "values",
)
# Rows, plain values, reads and writes: none of them may reach the protocol room (only edges and the room do).
INNER_MODULES = tuple(
    f"chargers.commands.{name}"
    for name in (
        "bulk",
        "dispatch",
        "effects",
        "forms",
        "models",
        "pipeline",
        "secrets",
        "selectors",
        "services",
        "values",
    )
)
# The names the tasks had in chargers/tasks.py, kept: beat's rows and queued messages name them so.
TASK_NAMES = (
    "chargers.tasks.commands_dispatch",
    "chargers.tasks.commands_housekeeping",
    "chargers.tasks.command_schedule_run",
)


def test_the_command_code_lives_in_one_package_and_the_old_modules_are_gone() -> None:
    assert sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__") == sorted(COMMAND_MODULES)
    for old in (
        "chargers.models.commands",
        "chargers.models.operations",
        "chargers.services.commands",
        "chargers.services.command_dispatch",
        "chargers.services.operations",
        "chargers.services.secret_payloads",
        "chargers.api.commands",
        "chargers.admin_commands",
    ):
        assert module_path(old) is None, f"{old} is still there"


@pytest.mark.parametrize("module", INNER_MODULES)
def test_command_models_services_and_selectors_never_reach_the_protocol_room(module: str) -> None:
    assert not {m for m in reachable(module) if m.startswith("chargers.ocpp")}


@pytest.mark.parametrize("module", ["chargers.commands.models", "chargers.commands.values"])
def test_command_rows_and_values_import_no_service_and_no_selector(module: str) -> None:
    assert not {m for m in reachable(module) if m.rpartition(".")[2] in ("services", "selectors", "forms", "pipeline")}


@pytest.mark.parametrize("module", [f"chargers.commands.{name}" for name in COMMAND_MODULES])
def test_no_command_module_sits_in_an_import_cycle(module: str) -> None:
    assert module not in reachable(module)


@pytest.mark.parametrize(
    "module", ["chargers.ocpp.results", *(f"chargers.commands.{name}" for name in COMMAND_MODULES)]
)
def test_the_command_code_imports_at_the_top_and_stays_short(module: str) -> None:
    assert len(module_path(module).read_text().splitlines()) <= 400
    for node in ast.walk(module_tree(module)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno - node.lineno < 45, f"{node.name} is {node.end_lineno - node.lineno + 1} lines"
            lazy = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not lazy, f"{node.name} imports inside its body"


def test_the_command_models_keep_their_app_label_and_tables_and_are_exported_as_before() -> None:
    tables = {
        model.__name__: (model._meta.app_label, model._meta.db_table)
        for model in (
            command_models.Command,
            command_models.CommandBatch,
            command_models.ConfigurationKey,
            command_models.Reservation,
        )
    }
    assert tables == {
        "Command": ("chargers", "chargers_command"),
        "CommandBatch": ("chargers", "chargers_commandbatch"),
        "ConfigurationKey": ("chargers", "chargers_configurationkey"),
        "Reservation": ("chargers", "chargers_reservation"),
    }
    for name in ("Command", "CommandBatch", "CommandStatus", "ConfigurationKey", "Reservation", "ReservationStatus"):
        assert getattr(chargers_models, name) is getattr(command_models, name)


def test_a_worker_knows_every_task_beat_and_the_recurring_commands_name() -> None:
    celery_app.loader.import_default_modules()  # what a worker or beat does as it starts
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {*TASK_NAMES, *scheduled} <= set(celery_app.tasks)
    assert celery_app.tasks["chargers.tasks.commands_dispatch"].__module__ == "chargers.commands.tasks"
