"""/contain, the request cards and their Approve / Deny buttons."""

from __future__ import annotations


def register(app, services) -> None:
    from handlers.containment import commands

    commands.register(app, services)
