"""`bot.py findings normalize`: findings in, JSON lines out, no side effects."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from core.errors import ConfigError, UsageError
from core.findings.cloudtrail_rules import RuleError, load_rules_file
from core.findings.normalize import normalize_text
from core.settings import Config


def load_detection_rules(config: Config):
    """The configured CloudTrail rules; a broken rules file is a configuration problem."""
    try:
        return load_rules_file(config.findings.cloudtrail_rules_path)
    except RuleError as exc:
        raise ConfigError([str(exc)]) from None


def read_input(path: str, stdin: TextIO = sys.stdin) -> str:
    if path == "-":
        return stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None


def normalize_command(config: Config, path: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Print each finding as a JSON line; reasons for what was not a finding go to stderr.

    Exit 0 when every document was a finding or a CloudTrail event no rule matched;
    1 when something could not be read as a finding at all."""
    result = normalize_text(read_input(path), load_detection_rules(config))
    for finding in result.findings:
        out.write(json.dumps(finding.to_json(), ensure_ascii=False) + "\n")
    for rejection in result.rejected:
        err.write(f"{path}: {rejection.reason}\n")
    err.write(f"{path}: {len(result.findings)} finding(s), {len(result.rejected)} not a finding\n")
    return 1 if any(r.kind != "no_match" for r in result.rejected) else 0
