"""The house rules that keep Firebreak readable, checked: the import-linter layer contracts,
no import cycle inside core (imports inside functions included), and that only the
composition root builds sessions, Slack clients and repositories."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "store", "aws", "handlers", "local", "outbound")
# Calls that build an adapter; their definitions (def build_client, class SqlX...) do not count.
CONSTRUCTIONS = re.compile(r"(?<!def )(?<!class )\b(AwsSessions|WebClient|build_client|outbox_client|Database|"
                           r"Sql\w+Repository|SlackChat|SlackNotifier|SlackBoard|AwsCatalog|AwsWriteBack)\(")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    return subprocess.run([command, "--config", str(cwd / ".importlinter")], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_layer_contracts_are_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_only_the_composition_root_constructs_adapters():
    found = []
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if CONSTRUCTIONS.search(code) and '"""' not in line:
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    # Factories may build what they return; nothing else builds adapters.
    allowed = {"handlers/app.py", "handlers/outbox.py"}
    assert [f for f in found if f.split(":")[0] not in allowed] == []


def test_core_builds_no_repository_from_a_database():
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "core").rglob("*.py")
                 if re.search(r"\bservices\.db\b", p.read_text())]
    assert offenders == [], "core reads through services.repos, never the database handle"


def _module_names(package: str) -> dict[str, Path]:
    """Dotted name -> file, for every module of `package` (a package is its __init__)."""
    names = {}
    for path in (REPO / package).rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(node: ast.AST, importer: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The modules of `modules` an import statement loads (the deepest one that exists)."""
    def deepest(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    if isinstance(node, ast.Import):
        return [m for alias in node.names if (m := deepest(alias.name))]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from its package, one level up per extra dot
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    # `from core import x` loads the module core.x; `from core.x import y` loads core.x (or core.x.y).
    return [m for alias in node.names if (m := deepest(f"{base}.{alias.name}" if base else alias.name))]


def core_imports() -> dict[str, set[str]]:
    """Each core module -> the core modules it imports, anywhere in it (top level, inside
    functions and classes, under TYPE_CHECKING)."""
    modules = _module_names("core")
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {m for node in ast.walk(tree)
                       for m in _imported(node, name, path.name == "__init__.py", modules) if m != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], list[str]]]:
    """Each strongly connected group of modules (Tarjan), sorted, with one cycle through it
    written a -> b -> ... -> a."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [(sorted(group), _cycle_through(group, graph)) for group in groups]


def _cycle_through(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle from the group's first module back to it, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for imported in sorted(graph[module] & group):
            if imported == start:
                return [*paths[module], start]
            if imported not in paths:
                paths[imported] = [*paths[module], imported]
                queue.append(imported)
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def test_core_has_no_import_cycle_even_inside_functions():
    cycles = import_cycles(core_imports())
    assert cycles == [], "import cycles among core modules:\n" + "\n".join(
        f"  a group of {len(group)} ({', '.join(group)}), e.g. " + " -> ".join(cycle) for group, cycle in cycles)


def test_the_cycle_check_sees_imports_inside_functions_and_names_the_cycle():
    graph = {"core.a": {"core.b"}, "core.b": {"core.c"}, "core.c": set(), "core.d": set()}
    assert import_cycles(graph) == []
    graph["core.c"] = {"core.a"}
    assert import_cycles(graph) == [(["core.a", "core.b", "core.c"], ["core.a", "core.b", "core.c", "core.a"])]
    modules = dict.fromkeys(["core", "core.x", "core.x.y", "core.z"], Path())
    inside = ast.parse("def f():\n    from core.x import y, helper\n    from core import z\n    import core.x.y.w\n"
                       "    from . import y\n")
    found = [m for node in ast.walk(inside) for m in _imported(node, "core.x.q", False, modules)]
    assert found == ["core.x.y", "core.x", "core.z", "core.x.y", "core.x.y"]
