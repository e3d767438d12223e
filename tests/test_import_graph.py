"""The core's imports run one way: no circle anywhere in `digitpad/`, and no core module imports `digitpad.ui`.

Read from the source with `ast` (every import, also those inside functions and under TYPE_CHECKING), so
that a circle hidden in a function-level import counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "digitpad"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The digitpad modules `path` imports (a `from pkg import name` that names a module counts as that module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules} - {module_name(path)}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    files = sorted(package.rglob("*.py"))
    modules = {module_name(f) for f in files}
    # A package's __init__ is imported with any of its modules; it is left out of the edges into it,
    # as Python runs it first: digitpad/__init__.py names its public API lazily and imports nothing.
    return {module_name(f): imports_of(f, modules) - {package.name} for f in files}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_whole_package() -> None:
    graph = import_graph()
    assert {"digitpad.reading.recognizer", "digitpad.ink.drawing", "digitpad.ui.main_window"} <= set(graph)
    assert "digitpad.reading.number" in graph["digitpad.reading.recognizer"]


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert circles(import_graph()) == []


def test_the_training_package_has_no_circle_either() -> None:
    graph = import_graph(REPO / "training")
    assert "training.trainer" in graph["training.distill"]  # the hook's module knows the trainer...
    assert "training.distill" not in graph["training.trainer"]  # ...never the other way round
    assert circles(graph) == []


#: The floors of the house, lowest first: a module imports only from its own floor or below.
FLOORS = (
    ("digitpad.errors", "digitpad.files", "digitpad.system"),
    ("digitpad.ink",),
    ("digitpad.model",),
    ("digitpad.reading",),
    ("digitpad.personal",),
    ("digitpad.ui",),
    ("digitpad.cli", "digitpad.profile_cli", "digitpad.explain_cli", "digitpad.selftest", "digitpad.qt_check",
     "digitpad.__main__"),
)


def floor_of(module: str) -> int:
    for number, rooms in enumerate(FLOORS):
        if any(module == room or module.startswith(room + ".") for room in rooms):
            return number
    raise AssertionError(f"{module} is on no floor of the house (add it to FLOORS and to the README)")


def test_imports_never_climb() -> None:
    graph = import_graph()
    climbs = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module != "digitpad"
        for target in targets
        if floor_of(target) > floor_of(module)
    )
    assert climbs == []


def test_no_core_module_imports_the_ui() -> None:
    graph = import_graph()
    core = [m for m in graph if m != "digitpad" and floor_of(m) < floor_of("digitpad.ui")]
    assert len(core) > 20
    assert [f"{m} -> {t}" for m in core for t in graph[m] if t.startswith("digitpad.ui")] == []
