"""Where the profile code lives (issue 8): the OCPP action sets in a module that imports nothing, the profile
code in one package, models that reach no service and no protocol room, and no import cycle through them.

The import graph is read from the source (tests/imports.py).
"""

import ast
import sys

import pytest
from django.urls import resolve, reverse

from tests.imports import ROOT, module_path, module_tree, reachable

PROFILES = ROOT / "chargers" / "profiles"
PROFILE_MODULES = (
    "admin",
    "api",
    "forms",
    "models",
    "selectors",
    "services",
    "urls",
    "validation",
    "views",
    "vocabulary",
)
# Reads, writes and rows: none of them may reach the protocol room (only edges and the room itself do).
INNER_MODULES = (
    "chargers.models",
    "chargers.profiles.models",
    "chargers.profiles.selectors",
    "chargers.profiles.services",
    "chargers.profiles.validation",
    "chargers.profiles.vocabulary",
)


def test_the_action_sets_live_in_a_module_that_imports_nothing() -> None:
    from chargers import actions
    from chargers.ocpp import schemas

    imported = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "").split(".")[0]
        for node in ast.walk(module_tree("chargers.actions"))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= sys.stdlib_module_names, imported
    # One source: the protocol room checks frames against the very same sets.
    assert schemas.CENTRAL_ACTIONS is actions.CENTRAL_ACTIONS
    assert schemas.CHARGER_ACTIONS is actions.CHARGER_ACTIONS
    assert set(actions.OCPP_MESSAGES) == (actions.CHARGER_ACTIONS | actions.CENTRAL_ACTIONS)
    assert set(actions.OCPP_MESSAGES) > actions.OCPP16_ONLY_MESSAGES


def test_the_profile_code_lives_in_one_package_and_the_old_modules_are_gone() -> None:
    assert sorted(p.stem for p in PROFILES.glob("*.py") if p.stem != "__init__") == sorted(PROFILE_MODULES)
    for old in (
        "chargers.models.profiles",
        "chargers.services.profiles",
        "chargers.profile_selectors",
        "chargers.admin_profiles",
        "chargers.forms",
    ):
        assert module_path(old) is None, f"{old} is still there"


@pytest.mark.parametrize("module", INNER_MODULES)
def test_models_selectors_and_services_never_reach_the_protocol_room(module: str) -> None:
    assert not {m for m in reachable(module) if m.startswith("chargers.ocpp")}


@pytest.mark.parametrize("module", ["chargers.models", "chargers.profiles.models"])
def test_models_import_no_service_and_no_selector(module: str) -> None:
    assert not {m for m in reachable(module) if m.rpartition(".")[2] in ("services", "selectors", "forms")}


@pytest.mark.parametrize("module", ["chargers.models", *(f"chargers.profiles.{m}" for m in PROFILE_MODULES)])
def test_no_profile_module_sits_in_an_import_cycle(module: str) -> None:
    assert module not in reachable(module)


@pytest.mark.parametrize("module", ["chargers.actions", *(f"chargers.profiles.{m}" for m in PROFILE_MODULES)])
def test_the_profile_code_imports_at_the_top_and_stays_short(module: str) -> None:
    tree = module_tree(module)
    assert len(module_path(module).read_text().splitlines()) <= 400
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno - node.lineno < 45, f"{node.name} is {node.end_lineno - node.lineno + 1} lines"
            lazy = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not lazy, f"{node.name} imports inside its body"


@pytest.mark.parametrize(
    ("name", "args", "path"),
    [
        ("profile-list", [], "/chargers/models/"),
        ("profile-create", [], "/chargers/models/new/"),
        ("profile-import", [], "/chargers/models/import/"),
        ("firmware-comparison", [], "/chargers/models/firmware/"),
        ("profile-detail", [7], "/chargers/models/7/"),
        ("profile-edit", [7], "/chargers/models/7/edit/"),
        ("profile-set-status", [7], "/chargers/models/7/status/"),
        ("profile-export", [7, "yaml"], "/chargers/models/7/export.yaml"),
        ("share-link-create", [7], "/chargers/models/7/share/"),
        ("vendor-questionnaire", ["abc"], "/chargers/questionnaire/abc/"),
    ],
)
def test_the_profile_pages_keep_their_names_and_paths(name: str, args: list, path: str) -> None:
    assert reverse(f"chargers:{name}", args=args) == path
    assert resolve(path).func.__module__ == "chargers.profiles.views"


def test_the_profile_pages_are_matched_before_a_charger_id() -> None:
    assert resolve("/chargers/models/").url_name == "profile-list"
    assert resolve("/chargers/CP-models/").url_name == "charge-point-detail"
