"""The project's import graph, read from the source (ast) for the layout tests: function-level imports included,
since a lazy import still runs, it only hides the edge from whoever reads the top of the module."""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = frozenset({"chargers", "core", "portal", "rfid", "transactions"})


def module_path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def module_tree(module: str) -> ast.Module:
    path = module_path(module)
    assert path is not None, f"{module} does not exist"
    return ast.parse(path.read_text(), filename=str(path))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if module_path(module).name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}".rstrip(".")
    # `from a import b` imports the module a.b when there is one, else the name b of a.
    return [f"{base}.{alias.name}" if module_path(f"{base}.{alias.name}") else base for alias in node.names]


@cache
def imports_of(module: str) -> frozenset[str]:
    """The project's modules that importing `module` runs directly: parents of a dotted name included, except the
    packages `module` itself sits in (they are imported before it, not by it)."""
    found = set()
    for node in ast.walk(module_tree(module)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in _targets(module, node):
            parts = target.split(".")
            if parts[0] in APPS:
                found.update(p for i in range(1, len(parts) + 1) if module_path(p := ".".join(parts[:i])))
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
