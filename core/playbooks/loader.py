"""Reads playbooks/*.yaml and reports every problem as `file:line: key: what is wrong`."""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from core.incidents.config import IncidentsConfig
from core.playbooks.model import Playbook
from core.yaml_lines import load_model, locate


def _problems_in(path: Path, cfg: IncidentsConfig) -> tuple[Playbook | None, list[str]]:
    playbook, _, lines, problems = load_model(path, Playbook,
                                              "a playbook (a mapping with name, description, match, phases)")
    if playbook is None:
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
