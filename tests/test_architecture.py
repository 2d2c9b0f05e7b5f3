"""The architecture, kept by a test: read from the source's import statements (ast), not run.

- `scheduler/` imports nothing from `app/` (it must stay usable without Flask or a database);
- no import circle among the project's modules, counting imports inside functions (they run
  too, later), but not those only for type checkers;
- the services never import views, forms or blueprints; the models never import services;
- every import inside a function says why, in a comment on its line or just above its block.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "scheduler")
BLUEPRINTS = (
    "api",
    "auth",
    "calendar",
    "commitments",
    "harvest",
    "organise",
    "organisations",
    "planning",
    "printing",
    "programmes",
    "public",
    "registration",
    "series",
    "voting",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = project_modules()


def resolve(name: str) -> str | None:
    """The project module an imported name is, or the nearest package holding it."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that runs, skipping `if TYPE_CHECKING:` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped
    ]


def imported_modules(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        # `from package import module` imports the module; `from module import name`, the module.
        names = [f"{base}.{alias.name}" for alias in node.names]
    return {found for name in names if (found := resolve(name)) is not None}


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {m for node in runtime_imports(tree) for m in imported_modules(node)}
        graph[name].discard(name)
    return graph


GRAPH = import_graph()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_is_read():
    """The test below means something only if the graph holds the imports it should."""
    assert "app.services.registration.capacity" in GRAPH["app.services.registration.lifecycle"]
    assert "app.services.messaging.outbox" in GRAPH["app.services.registration.capacity"]
    assert "scheduler.rules" in GRAPH["app.services.planning.edits"]


def test_the_scheduler_imports_nothing_from_the_app():
    offending = {
        name: sorted(t for t in targets if t.split(".")[0] == "app")
        for name, targets in GRAPH.items()
        if name.split(".")[0] == "scheduler"
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_no_import_circle():
    assert cycles(GRAPH) == []


def test_a_circle_would_be_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("app.services", (*(f"app.{bp}" for bp in BLUEPRINTS), "app.shared", "app.cli")),
        ("app.models", ("app.services",)),
    ],
)
def test_lower_layers_do_not_import_upper_ones(layer, forbidden):
    def within(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    offending = sorted(
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if within(name, layer)
        for target in targets
        if any(within(target, f) for f in forbidden)
    )
    assert offending == []


def function_imports_without_a_reason(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in runtime_imports(function):
            first = node.lineno - 1
            while first > 0 and lines[first - 1].lstrip().startswith(("from ", "import ")):
                first -= 1  # the top of a block of imports
            said_here = "#" in lines[node.lineno - 1]
            said_above = first > 0 and lines[first - 1].lstrip().startswith("#")
            if not (said_here or said_above):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[first].strip()}")
    return found


def test_every_import_inside_a_function_says_why():
    sources = [
        path
        for folder in (*PACKAGES, "benchmarks", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "node_modules" not in path.parts
    ]
    assert [line for path in sources for line in function_imports_without_a_reason(path)] == []
