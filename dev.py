#!/usr/bin/env python3
"""One entry point for a fresh machine: makes .venv, installs exactly the locked dependency
set (requirements/dev.txt, every package pinned with its hashes) when the lock changed, then
runs the bot or the tests inside it.

    python3 dev.py bot [ARGS...]     same as `python bot.py ARGS...`
    python3 dev.py test [ARGS...]    same as `pytest ARGS...` (both cores; --runslow for all)
    python3 dev.py lock              refresh requirements/*.txt from pyproject.toml's ranges,
                                     install the new set and run the whole suite on it
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
DEV_LOCK = ROOT / "requirements" / "dev.txt"
MAIN_LOCK = ROOT / "requirements" / "main.txt"
# The lock is universal (every Python from 3.11 and every platform), so one file serves the
# laptop, CI and the image. main.txt is the runtime subset (no moto, no test tools), kept to
# the same versions as dev.txt by compiling it under dev.txt's constraints.
COMPILE = ["pip", "compile", "pyproject.toml", "--universal", "--python-version", "3.11",
           "--generate-hashes", "--quiet"]


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Firebreak needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(DEV_LOCK.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("Installing the locked dependencies (first run, or requirements/dev.txt changed) ...", flush=True)
        # --no-deps: the lock already lists every package; --require-hashes: nothing else gets in.
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--require-hashes", "--no-deps", "-r", str(DEV_LOCK)], check=True)
        STAMP.write_text(wanted)


def lock() -> int:
    """Refresh both lock files to the newest versions pyproject.toml admits, then prove them."""
    ensure_environment()
    uv = [str(BIN / "uv")]
    subprocess.run([*uv, *COMPILE, "--upgrade", "--extra", "sandbox", "--extra", "dev", "-o", str(DEV_LOCK)],
                   check=True, cwd=ROOT)
    subprocess.run([*uv, *COMPILE, "--upgrade", "-c", str(DEV_LOCK), "-o", str(MAIN_LOCK)], check=True, cwd=ROOT)
    ensure_environment()  # the new set, installed before it is tested
    print("Lock refreshed; running the whole suite on it ...", flush=True)
    return subprocess.run([str(PYTHON), "-m", "pytest", "--runslow"], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("bot", "test", "lock"):
        print(__doc__.strip())
        return 2
    if argv[0] == "lock":
        return lock()
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
