"""The worker's table: a command type's route → the handler that runs it.

Each domain adds its handlers (handlers/<domain>/work.py `register(routes)`); a handler
takes (services, the command, a reply port) and makes the core call. Building the table
imports no Bolt: a worker runs jobs with this and a Web API client only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from handlers.jobs.command import Command

Handler = Callable[..., None]  # (services, command, reply) -> None; raises to fail


@dataclass(frozen=True)
class Route:
    command: type[Command]
    run: Handler


class Routes:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def add(self, command: type[Command], run: Handler) -> None:
        name = command.route
        if name in self._routes:
            raise ValueError(f"two handlers for {name}")
        self._routes[name] = Route(command, run)

    def get(self, name: str) -> Route | None:
        return self._routes.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._routes

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)
