"""The dependencies every part of Firebreak receives explicitly (no globals).

The composition root (composition.py) builds one `Services` per process, complete, and
nobody changes it afterwards: behaviour never depends on which listener registered first.
Every field is typed by an interface core defines; tests build their own with fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Protocol

from core.access import Directory
from core.audit.ports import Anchor
from core.containment.ports import Board, Catalog
from core.drills.ports import Sandbox
from core.events import Publisher
from core.evidence.ports import EvidenceReader
from core.findings.ports import Notifier, WriteBack
from core.investigation.ports import EventHistory, LogQueries
from core.incidents.ports import Archive, Chat
from core.incidents.ports import Database, IncidentRepository
from core.ports import Repositories
from core.scheduling.ports import Notices, Pager
from core.settings import Settings
from core.telemetry import Telemetry
from core.work_pool import WorkPool


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database  # health and shutdown only; queries go through `repos`
    repos: Repositories
    clock: Clock
    telemetry: Telemetry
    events: Publisher  # the domain events' subscriptions (composition/events.py)
    playbooks: Mapping = field(default_factory=dict)  # name -> core.playbooks.model.Playbook
    detection_rules: tuple = ()  # CloudTrail rules (core.findings.cloudtrail_rules.Rule), loaded once
    directory: Directory | None = None  # user-group membership (Slack)
    chat: Chat | None = None  # the chat platform as core sees it; None: nothing is posted
    notifier: Notifier | None = None  # shows findings in chat (paced); None: they wait in the database
    notices: Notices | None = None  # the clock's reminders and escalations in chat
    board: Board | None = None  # containment request cards in chat
    catalog: Catalog | None = None  # containment actions (AWS)
    event_history: EventHistory | None = None  # CloudTrail lookups for /investigate
    log_queries: Mapping[str, LogQueries] = field(default_factory=dict)  # engine -> the SQL query pack's runner
    writeback: WriteBack | None = None  # tells AWS about dismissed findings
    archive: Archive | None = None  # postmortems kept in S3 when configured
    pager: Pager | None = None  # SLA escalations outside chat (SNS)
    evidence_reader: EvidenceReader | None = None  # re-reads collected evidence (`bot.py evidence verify`)
    anchor: Anchor | None = None  # the audit chain's head copied outside the database (S3 Object Lock)
    finding_polls: tuple = ()  # (name, poll(services) -> stored count, seconds) for the clock
    executor: WorkPool | None = None  # runs work after Slack's ack
    outreach: Any = None  # core.communications.ports.Outreach: stakeholder chat, email (SNS), paging (HTTP)
    fetch_url: Callable[[str], bytes] | None = None  # HTTPS GET for SNS certificates (tests inject one)
    sandbox: Sandbox | None = None  # the AWS sandbox this process's AWS calls go to (drills act only there)
    closers: tuple[Callable[[], Any], ...] = ()  # released on drain, last built first

    def drain(self) -> None:
        """Let work already accepted finish (graceful shutdown), then release what was opened."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.notifier is not None and hasattr(self.notifier, "close"):
            self.notifier.close()  # send what is queued for Slack (paced), then stop
        for close in reversed(self.closers):
            close()
        self.db.dispose()

    @property
    def config(self):
        return self.settings.config

    @property
    def incidents(self) -> IncidentRepository:
        """The repository nearly every domain function reads; short for `repos.incidents`."""
        return self.repos.incidents
