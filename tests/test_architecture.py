"""The house rules that keep Firebreak readable, checked: the import-linter layer contracts,
that only the composition root builds sessions, Slack clients and repositories, and that
the chat adapters of findings and request cards only render and send."""

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
PACKAGES = ("core", "store", "aws", "handlers", "local", "outbound")
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
