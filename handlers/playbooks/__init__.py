"""Playbook checklists and action items (their /incident subcommands live in commands.py)."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.playbooks import actions

    actions.register(jobs, services)
