"""Playbook checklists and action items (their /incident subcommands live in commands.py)."""

from __future__ import annotations


def register(app, services) -> None:
    from handlers.playbooks import actions

    actions.register(app, services)
