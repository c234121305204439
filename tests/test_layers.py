"""The import graph: the layers of pyproject.toml's contract hold, and no module imports itself back.

``lint-imports`` (import-linter) checks the layer contract; the cycle check here walks the same graph
(grimp) module by module, so a cycle inside an area is caught too, not only one between areas.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph("app", cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_layer_contract_holds():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    assert (
        lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == EXIT_STATUS_SUCCESS
    )


def test_no_module_imports_itself_back(graph):
    assert _cycles(graph) == []


def test_every_area_has_its_place_in_the_layers():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    areas = {f"app.{p.stem}" for p in APP.glob("*.py") if p.stem != "__init__"}
    areas |= {f"app.{p.name}" for p in APP.iterdir() if (p / "__init__.py").exists()}
    assert areas == placed


def _imports_inside_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.ImportFrom) and node.level:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from .{node.module or ''}")
    return sorted(set(found))


def test_app_modules_are_imported_at_the_top_of_a_module():
    """Imports inside functions hid cycles; the factory (app/__init__.py) and the CLI commands are the exceptions:
    they start an app or a command, and import what they start."""
    allowed = {APP / "__init__.py", APP / "commands.py", APP / "scheduling" / "commands.py"}
    paths = [path for path in sorted(APP.rglob("*.py")) if path not in allowed]
    found = [hit for path in paths for hit in _imports_inside_functions(path)]
    assert found == []
