"""The dependencies every part of Firebreak receives explicitly (no globals)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from core.access import Directory
from core.findings.ports import Notifier, WriteBack
from core.ports import Chat
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
    chat: Chat | None = None  # the chat platform (Slack), as core sees it
    playbooks: dict = field(default_factory=dict)  # name -> core.playbooks.model.Playbook
    notifier: Notifier | None = None  # shows findings in chat (paced); None: they wait in the database
    writeback: WriteBack | None = None  # tells AWS about dismissed findings
    fetch_url: Callable[[str], bytes] | None = None  # HTTPS GET for SNS certificates (tests inject one)
    aws: Any = None  # aws.sessions.AwsSessions: boto3 clients per account (containment builds it if unset)

    def drain(self) -> None:
        """Let work already accepted finish (graceful shutdown), then release the database."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.notifier is not None and hasattr(self.notifier, "close"):
            self.notifier.close()  # send what is queued for Slack (paced), then stop
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
