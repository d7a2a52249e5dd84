"""`python bot.py ARGS` run inside the test's process, for tests where only the output and
the exit code matter (check-config, export, jobs, audit, drill list, --help): the same
`bot.main` a subprocess would run, without a second interpreter start-up and import of the
whole project (about a second each). Tests of processes themselves (serve, worker, clock,
signals, the local workspace's console) keep a real subprocess."""

from __future__ import annotations

import io
import logging
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock

import bot

# What a subprocess started by a test would not inherit from the developer's shell.
_DROPPED = ("SLACK_", "FIREBREAK_")


@dataclass(frozen=True)
class Result:
    """What subprocess.run(..., capture_output=True, text=True) would have returned."""

    returncode: int
    stdout: str
    stderr: str


def run_bot(*args: str, env: dict[str, str] | None = None, stdin: str = "", keep_env: bool = False) -> Result:
    """bot.main(args) with its own environment, stdin, stdout and stderr; the process's own
    are put back afterwards, logging included (bot.main configures the root logger)."""
    environ = dict(os.environ) if keep_env else {k: v for k, v in os.environ.items()
                                                 if not k.startswith(_DROPPED) and k != "DATABASE_URL"}
    environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with mock.patch.dict(os.environ, environ, clear=True), mock.patch.object(sys, "stdin", io.StringIO(stdin)), \
                redirect_stdout(out), redirect_stderr(err):
            try:
                code = bot.main(list(args))
            except SystemExit as exc:  # argparse's --help and usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        root.handlers[:], root.level = handlers, level
    return Result(code, out.getvalue(), err.getvalue())
