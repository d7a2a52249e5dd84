"""/incident, the declare form, Join and timeline buttons, mentions and pin reactions."""

from __future__ import annotations


def register(jobs, services) -> None:
    from handlers.incidents import actions, commands, events, views

    for listeners in (commands, actions, views, events):
        listeners.register(jobs, services)
