"""The house rules that keep Firebreak readable, checked: the import-linter layer contracts,
and that only the composition root builds sessions, Slack clients and repositories."""

from __future__ import annotations

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


BOLT_INTERNALS = ("slack_bolt.request.internals", "slack_bolt.request.payload_utils")


def _imported_modules(tree) -> set[str]:
    import ast

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
    import ast

    offenders = []
    for path in REPO.rglob("*.py"):
        if {".venv", "venv", "node_modules", "var"} & set(path.relative_to(REPO).parts):
            continue
        imported = _imported_modules(ast.parse(path.read_text(), str(path)))
        offenders += [f"{path.relative_to(REPO)}: {name}" for name in sorted(imported)
                      if name.startswith(BOLT_INTERNALS)]
    assert offenders == []
