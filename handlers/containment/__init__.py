"""/contain, the request cards and their Approve / Deny buttons."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.containment import commands

    commands.register(jobs, services)
