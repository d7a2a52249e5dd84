"""/investigate: read-only questions answered in the channel, with the events as a CSV file."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.investigation import commands

    commands.register(jobs, services)
