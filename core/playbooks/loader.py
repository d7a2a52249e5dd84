"""Reads playbooks/*.yaml and reports every problem as `file:line: key: what is wrong`."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from core.errors import ConfigError
from core.incident_config import IncidentsConfig
from core.playbooks.model import Playbook
from core.yaml_lines import dotted, line_index, locate, syntax_problem


def _problems_in(path: Path, cfg: IncidentsConfig) -> tuple[Playbook | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
        data, lines = yaml.safe_load(text), line_index(text)
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc.strerror or exc}"]
    except yaml.YAMLError as exc:
        return None, [syntax_problem(path, exc)]
    if not isinstance(data, dict):
        return None, [f"{path}:1: expected a playbook (a mapping with name, description, match, phases)"]
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"]
                        if not (isinstance(p, str) and (p == "[key]" or p.startswith(("function-", "literal")))))
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "required key is missing"
            problems.append(f"{path}:{locate(lines, loc)}: {dotted(loc)}: {message}")
        return None, problems
    problems = [f"{path}:{locate(lines, ('match', 'categories', i))}: match.categories[{i}]: unknown category "
                f"{c!r}; categories are {', '.join(cfg.categories)}"
                for i, c in enumerate(playbook.match.categories) if c not in cfg.categories]
    problems += [f"{path}:{locate(lines, ('match', 'severities', i))}: match.severities[{i}]: unknown severity "
                 f"{s!r}; severities are {', '.join(cfg.severity_names)}"
                 for i, s in enumerate(playbook.match.severities) if s not in cfg.severity_names]
    return (None if problems else playbook), problems


def load_playbooks(directory: Path, cfg: IncidentsConfig) -> dict[str, Playbook]:
    """Every playbook in `directory`, by name; ConfigError listing all problems of all files."""
    if not directory.is_dir():
        raise ConfigError([f"{directory}: playbook directory does not exist"])
    library: dict[str, Playbook] = {}
    origin: dict[str, Path] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.y*ml")):
        playbook, found = _problems_in(path, cfg)
        problems += found
        if playbook is None:
            continue
        if playbook.name in library:
            problems.append(f"{path}:1: name: {playbook.name!r} is also the name of {origin[playbook.name]}")
            continue
        library[playbook.name], origin[playbook.name] = playbook, path
    if problems:
        raise ConfigError(problems)
    return library
