#!/usr/bin/env python3
"""One entry point for a fresh machine: makes .venv, installs Firebreak with its dev
extras when pyproject.toml changed, then runs the bot or the tests inside it.

    python3 dev.py bot [ARGS...]     same as `python bot.py ARGS...`
    python3 dev.py test [ARGS...]    same as `pytest ARGS...`
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("FIREBREAK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".firebreak-installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Firebreak needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("Installing Firebreak and its dependencies (first run, or pyproject.toml changed) ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("bot", "test"):
        print(__doc__.strip())
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "bot":
        args = [str(PYTHON), str(ROOT / "bot.py"), *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.run(args).returncode
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
