"""The dependencies every part of Firebreak receives explicitly (no globals)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

from core.access import Directory
from core.settings import Settings
from core.telemetry import Telemetry
from store.db import Database
from store.incidents import IncidentStore
from store.requests import RequestLedger


class Clock(Protocol):
    def now(self): ...


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    telemetry: Telemetry
    directory: Directory | None = None
    executor: Executor | None = None  # runs work after Slack's ack

    def drain(self) -> None:
        """Let work already accepted finish (graceful shutdown), then release the database."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        self.db.dispose()

    @property
    def config(self):
        return self.settings.config

    @property
    def incidents(self) -> IncidentStore:
        return IncidentStore(self.db)

    @property
    def requests(self) -> RequestLedger:
        return RequestLedger(self.db)
