"""Reads drills/*.yaml and reports every problem as `file:line: key: what is wrong`
(the same shape as playbooks and configuration)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from core.drills.model import FIXED, KINDS, PLACEHOLDER, Scenario
from core.errors import ConfigError
from core.findings.normalize import normalize
from core.incidents.config import IncidentsConfig
from core.settings import PROJECT_ROOT
from core.yaml_lines import dotted, load_model, locate

DIRECTORY = PROJECT_ROOT / "drills"
_PREFIX = {"instance": "i-", "subnet": "subnet-", "vpc": "vpc-", "security_group": "sg-", "network_acl": "acl-",
           "access_key": "AKIA", "target_group": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/"}


def stand_in(kind: str, name: str | None) -> str:
    """A well-formed id for `{kind:name}` when no sandbox holds it (a dry-run drill, validation)."""
    digest = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()
    if kind == "access_key":
        return "AKIA" + digest[:16].upper()
    if kind == "private_ip":
        return f"10.99.{int(digest[:2], 16)}.{int(digest[2:4], 16) % 250 + 2}"
    if kind in ("user", "bucket", "function", "evidence_bucket", "auto_scaling_group", "instance_profile"):
        return name or kind
    if kind == "role":
        return f"arn:aws:iam::000000000000:role/{name}"
    return _PREFIX.get(kind, "") + digest[:17]


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every placeholder; one no value is known for gets a stand-in id."""
    def one(match) -> str:
        kind, name = match.group(1), match.group(2)
        key = f"{kind}:{name}" if name else kind
        return values.get(key) or stand_in(kind, name)
    return PLACEHOLDER.sub(one, text)


def _placeholder_problems(path: Path, lines: dict, node: Any, loc: tuple) -> list[str]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _placeholder_problems(path, lines, v, loc + (k,))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _placeholder_problems(path, lines, v, loc + (i,))]
    problems = []
    for match in PLACEHOLDER.finditer(node if isinstance(node, str) else ""):
        kind, name = match.group(1), match.group(2)
        if (name is None and kind not in FIXED) or (name is not None and kind not in KINDS):
            problems.append(f"{path}:{locate(lines, loc)}: {dotted(loc)}: unknown placeholder {match.group(0)}; "
                            f"use {{account}}, {{region}}, {{run}}, {{at}} or {{kind:name}} with kind one of "
                            f"{', '.join(KINDS)}")
    return problems


def _problems_in(path: Path, cfg: IncidentsConfig, playbooks: Mapping, rules: Any) -> tuple[Scenario | None, list[str]]:
    scenario, data, lines, problems = load_model(
        path, Scenario, "a drill scenario (a mapping with name, description, title, findings)")
    if scenario is None:
        return None, problems
    problems = _placeholder_problems(path, lines, data.get("findings"), ("findings",))
    problems += _placeholder_problems(path, lines, data.get("expected"), ("expected",))
    if scenario.severity not in cfg.severity_names:
        problems.append(f"{path}:{locate(lines, ('severity',))}: severity: unknown severity {scenario.severity!r}; "
                        f"severities are {', '.join(cfg.severity_names)}")
    if scenario.category and scenario.category not in cfg.categories:
        problems.append(f"{path}:{locate(lines, ('category',))}: category: unknown category {scenario.category!r}")
    if scenario.expected.playbook and scenario.expected.playbook not in playbooks:
        problems.append(f"{path}:{locate(lines, ('expected', 'playbook'))}: expected.playbook: no playbook named "
                        f"{scenario.expected.playbook!r} (playbooks: {', '.join(sorted(playbooks)) or 'none'})")
    for i, finding in enumerate(scenario.findings):
        result = normalize(json.loads(fill(json.dumps(finding.document), {})), rules)
        if not result.findings:
            reasons = "; ".join(r.reason for r in result.rejected) or "not a finding"
            loc = ("findings", i, "document")
            problems.append(f"{path}:{locate(lines, loc)}: {dotted(loc)}: not a finding Firebreak reads: {reasons}")
    return (None if problems else scenario), problems


@dataclass(frozen=True)
class Library:
    """The drill scenarios, loaded once by the composition root. A broken file does not stop
    the bot (drills are for game days): its problems are kept and told to whoever starts a
    drill, and `bot.py check-config` names them with file and line."""

    scenarios: Mapping[str, Scenario] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def library(cfg: IncidentsConfig, playbooks: Mapping, rules: Any = None, directory: Path = DIRECTORY) -> Library:
    try:
        return Library(load_scenarios(cfg, playbooks, rules, directory))
    except ConfigError as exc:
        return Library(problems=tuple(exc.problems))


def load_scenarios(cfg: IncidentsConfig, playbooks: Mapping, rules: Any = None,
                   directory: Path = DIRECTORY) -> dict[str, Scenario]:
    """Every scenario in `directory`, by name; ConfigError listing all problems of all files."""
    if not directory.is_dir():
        return {}
    found: dict[str, Scenario] = {}
    origin: dict[str, Path] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.y*ml")):
        scenario, bad = _problems_in(path, cfg, playbooks, rules)
        problems += bad
        if scenario is None:
            continue
        if scenario.name in found:
            problems.append(f"{path}:1: name: {scenario.name!r} is also the name of {origin[scenario.name]}")
            continue
        found[scenario.name], origin[scenario.name] = scenario, path
    if problems:
        raise ConfigError(problems)
    return found
