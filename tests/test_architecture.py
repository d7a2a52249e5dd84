"""The house rules that keep Firebreak readable, checked: the import-linter layer contracts,
no import cycle inside core (imports inside functions included), that only the composition
root builds sessions, Slack clients and repositories, that the chat adapters of findings and
request cards only render and send, and that nothing rebuilds Bolt's request internals."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "store", "aws", "handlers", "local", "outbound", "reports")
# Calls that build an adapter; their definitions (def build_client, class SqlX...) do not count.
CONSTRUCTIONS = re.compile(r"(?<!def )(?<!class )\b(AwsSessions|WebClient|build_client|outbox_client|Database|"
                           r"Sql\w+Repository|SlackChat|SlackTriageSender|SlackBoard|AwsCatalog|AwsWriteBack)\(")


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


# Core decides what chat shows of findings and request cards and keeps the books of what it
# shows (core/findings/delivery.py, core/containment/cards.py); these adapters get views.
DELIVERY_ADAPTERS = ("handlers/findings/notifier.py", "handlers/containment/board.py")
STORAGE_TYPE = re.compile(r"Repositor(y|ies)|Database")
STORAGE_PARAMETER = re.compile(r"^(repos?|db|database|store|state|findings|requests|incidents)$|repositor")


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every import in a file; name is "" for `import module`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(node.module or "", alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", DELIVERY_ADAPTERS)
def test_the_delivery_adapters_import_no_storage(path):
    imports = _imports(REPO / path)
    assert imports, path
    assert [m for m, _ in imports if m == "store" or m.startswith("store.")] == []
    # the Repositories index, Services (which holds them), the root
    assert [m for m, _ in imports if m in ("core.ports", "core.services", "composition")] == []
    assert [n for _, n in imports if STORAGE_TYPE.search(n)] == []  # no repository port, no database handle


@pytest.mark.parametrize("path", DELIVERY_ADAPTERS)
def test_the_delivery_adapters_take_no_repository(path):
    module = importlib.import_module(path[:-3].replace("/", "."))
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    assert classes, path
    for cls in classes:
        for name, parameter in inspect.signature(cls).parameters.items():
            annotation = parameter.annotation if isinstance(parameter.annotation, str) else \
                getattr(parameter.annotation, "__name__", repr(parameter.annotation))
            assert not STORAGE_PARAMETER.search(name) and not STORAGE_TYPE.search(annotation), (cls, name, annotation)


BOLT_INTERNALS = ("slack_bolt.request.internals", "slack_bolt.request.payload_utils")


def _imported_modules(tree) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_nothing_imports_bolts_request_internals():
    """Jobs carry typed commands, so nothing rebuilds Bolt's listener arguments from a stored
    request (import-linter forbids only top-level external packages, hence this check)."""
    offenders = []
    for path in REPO.rglob("*.py"):
        parts = path.relative_to(REPO).parts
        if {"venv", "node_modules", "var", "build"} & set(parts) or any(p.startswith(".") for p in parts):
            continue  # .venv, .ci-venv (CI's venv lives in the checkout), .git: not ours
        imported = _imported_modules(ast.parse(path.read_text(), str(path)))
        offenders += [f"{path.relative_to(REPO)}: {name}" for name in sorted(imported)
                      if name.startswith(BOLT_INTERNALS)]
    assert offenders == []


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
