"""Where the profile code lives (issue 8): the OCPP action sets in a module that imports nothing, the profile
code in one package, models that reach no service and no protocol room, and no import cycle through them.

The import graph is read from the source (ast), function-level imports included: a lazy import still runs, it
only hides the edge from whoever reads the top of the module.
"""

import ast
import sys
from functools import cache
from pathlib import Path

import pytest
from django.urls import resolve, reverse

ROOT = Path(__file__).resolve().parents[2]
APPS = frozenset({"chargers", "core", "portal", "rfid", "transactions"})
PROFILES = ROOT / "chargers" / "profiles"
PROFILE_MODULES = ("admin", "forms", "models", "selectors", "services", "urls", "validation", "views", "vocabulary")
# Reads, writes and rows: none of them may reach the protocol room (only edges and the room itself do).
INNER_MODULES = (
    "chargers.models",
    "chargers.profiles.models",
    "chargers.profiles.selectors",
    "chargers.profiles.services",
    "chargers.profiles.validation",
    "chargers.profiles.vocabulary",
)


def _path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def _tree(module: str) -> ast.Module:
    path = _path(module)
    assert path is not None, f"{module} does not exist"
    return ast.parse(path.read_text(), filename=str(path))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if _path(module).name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}".rstrip(".")
    # `from a import b` imports the module a.b when there is one, else the name b of a.
    return [f"{base}.{alias.name}" if _path(f"{base}.{alias.name}") else base for alias in node.names]


@cache
def imports_of(module: str) -> frozenset[str]:
    """The project's modules that importing `module` runs directly: parents of a dotted name included, except the
    packages `module` itself sits in (they are imported before it, not by it)."""
    found = set()
    for node in ast.walk(_tree(module)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in _targets(module, node):
            parts = target.split(".")
            if parts[0] in APPS:
                found.update(p for i in range(1, len(parts) + 1) if _path(p := ".".join(parts[:i])))
    parts = module.split(".")
    return frozenset(found - {".".join(parts[:i]) for i in range(1, len(parts) + 1)})


def reachable(module: str) -> set[str]:
    seen: set[str] = set()
    todo = list(imports_of(module))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imports_of(name))
    return seen


def test_the_action_sets_live_in_a_module_that_imports_nothing() -> None:
    from chargers import actions
    from chargers.ocpp import schemas

    imported = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "").split(".")[0]
        for node in ast.walk(_tree("chargers.actions"))
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
        assert _path(old) is None, f"{old} is still there"


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
    tree = _tree(module)
    assert len(_path(module).read_text().splitlines()) <= 400
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
