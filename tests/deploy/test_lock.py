"""The lock files are what gets installed, everywhere: every package pinned with its hashes,
the runtime set a subset of the development set at the same versions, within pyproject's
ranges, without moto in the image; dev.py and the Dockerfile install exactly them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dev
from tests.conftest import REPO
from tests.deploy.test_container import dockerfile_instructions, ignore_patterns, stages

PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked(path: Path) -> dict[str, tuple[str, list[str], str | None]]:
    """name -> (version, hashes, marker) for each entry of a `uv pip compile --generate-hashes` file."""
    entries: dict[str, tuple[str, list[str], str | None]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" "):
            found = re.search(r"--hash=sha256:([0-9a-f]{64})", line)
            assert current and found, f"{path.name}: a line that is neither a pin nor a hash: {line!r}"
            entries[current][1].append(found.group(1))
            continue
        found = PIN.match(line)
        assert found, f"{path.name}: not pinned with ==: {line!r}"
        name = canonicalize_name(found.group(1).split("[")[0])
        version, marker = found.group(2), found.group(3)
        key = name if name not in entries else f"{name} ; {marker}"  # one package, two markers
        entries[key] = (version, [], marker)
        current = key
    return entries


DEV, MAIN = locked(REPO / "requirements" / "dev.txt"), locked(REPO / "requirements" / "main.txt")
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def applies(marker: str | None) -> bool:
    return marker is None or Marker(marker).evaluate()


@pytest.mark.parametrize("name", ["dev.txt", "main.txt"])
def test_every_locked_package_is_pinned_with_hashes(name):
    entries = DEV if name == "dev.txt" else MAIN
    assert len(entries) > 10
    unhashed = [package for package, (_, hashes, _) in entries.items() if not hashes]
    assert unhashed == [], f"{name}: no --hash for {unhashed}"


def test_the_runtime_set_is_the_development_set_minus_the_sandbox_and_tools():
    different = {n: (v, DEV.get(n, ("absent",))[0]) for n, (v, _, _) in MAIN.items() if DEV.get(n, (None,))[0] != v}
    assert different == {}, f"main.txt and dev.txt disagree (main, dev): {different}"
    for tool in ("moto", "pytest", "uv", "pytest-xdist", "responses", "cfn-lint"):
        assert tool not in MAIN, f"{tool} would ship in the production image"
    assert "moto" in DEV and "pytest" in DEV and "uv" in DEV


@pytest.mark.parametrize("extra", [None, "sandbox", "dev"])
def test_what_pyproject_asks_for_is_locked_within_its_range(extra):
    wanted = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    lock = MAIN if extra is None else DEV
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is asked for but not locked"
        version = lock[name][0]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"{name}=={version} is outside pyproject's {requirement.specifier}: run python3 dev.py lock"


def test_the_installed_set_is_the_locked_set():
    from importlib.metadata import version

    wrong = {name: (v, version(name)) for name, (v, _, marker) in DEV.items()
             if " ; " not in name and applies(marker) and version(name) != v}
    assert wrong == {}, f"installed differs from requirements/dev.txt (locked, installed): {wrong}"


def test_dev_py_installs_exactly_the_lock(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(dev, "PYTHON", tmp_path / "python")
    monkeypatch.setattr(dev, "STAMP", tmp_path / "stamp")
    (tmp_path / "python").write_text("")
    monkeypatch.setattr(dev.subprocess, "run", lambda args, **kw: ran.append(args))
    dev.ensure_environment()
    [command] = ran
    assert command[1:4] == ["-m", "pip", "install"]
    assert "--require-hashes" in command and "--no-deps" in command
    assert command[command.index("-r") + 1] == str(REPO / "requirements" / "dev.txt")
    ran.clear()
    dev.ensure_environment()
    assert ran == [], "an unchanged lock is not installed again"


def test_the_image_installs_exactly_the_runtime_lock():
    deps = stages(dockerfile_instructions((REPO / "Dockerfile").read_text(encoding="utf-8")))[0]
    copies = [args for kw, args in deps if kw == "COPY"]
    assert any("requirements/main.txt" in c for c in copies), "the deps stage does not copy requirements/main.txt"
    [install] = [args for kw, args in deps if kw == "RUN" and "pip install" in args]
    assert "--require-hashes" in install and "--no-deps" in install and "-r main.txt" in install
    assert "pyproject" not in install and "moto" not in install
    assert not [p for p in ignore_patterns() if p.strip("/") in ("requirements", "requirements/main.txt")]
