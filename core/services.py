"""The dependencies every part of Firebreak receives explicitly (no globals).

The composition root (composition/__init__.py) builds one `Services` per process, complete,
and nobody changes it afterwards: behaviour never depends on which listener registered
first. Every field is typed by an interface core defines (core/ports.py indexes them); a
port that is not configured in this process holds its null object (core/nulls.py), never
None, so nothing asks whether it exists. Tests build their own with fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from core.access import Directory
from core.audit.ports import Anchor
from core.clock import Clock
from core.communications.ports import Outreach
from core.containment.ports import Board, Catalog
from core.drills.loader import Library as DrillLibrary
from core.drills.ports import Sandbox
from core.events import Publisher
from core.evidence.ports import EvidenceReader
from core.findings.cloudtrail_rules import Rule
from core.findings.ports import Notifier, WriteBack
from core.findings.sns import Fetch
from core.incidents.ports import Archive, Chat, Database, IncidentRepository
from core.investigation.pack import Template
from core.investigation.ports import EventHistory, LogQueries
from core.playbooks.model import Playbook
from core.ports import Repositories
from core.scheduling.ports import Notices, Pager
from core.settings import Settings
from core.telemetry import Telemetry
from core.work_pool import WorkPool

__all__ = ["Clock", "FindingPoll", "Services"]

# A finding source the clock polls: (name, poll(services) -> findings stored, every N seconds).
FindingPoll = tuple[str, Callable[["Services"], int], int]


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database  # health and shutdown only; queries go through `repos`
    repos: Repositories
    clock: Clock
    telemetry: Telemetry  # what this process counts (/metrics)
    events: Publisher  # the domain events' subscriptions (composition/events.py)
    directory: Directory  # user-group membership and display names (Slack)
    chat: Chat  # the chat platform as core sees it
    notifier: Notifier  # shows findings in chat (paced)
    notices: Notices  # the clock's reminders and escalations in chat
    board: Board  # containment request cards in chat
    catalog: Catalog  # response actions (AWS)
    event_history: EventHistory  # CloudTrail lookups for /investigate
    writeback: WriteBack  # tells AWS about dismissed findings
    archive: Archive  # postmortems kept in S3 (postmortem.s3_bucket)
    pager: Pager  # SLA escalations outside chat (SNS)
    evidence_reader: EvidenceReader  # re-reads collected evidence (`bot.py evidence verify`)
    anchor: Anchor  # the audit chain's head copied outside the database (S3 Object Lock)
    executor: WorkPool  # runs work after Slack's ack
    outreach: Outreach  # stakeholder chat, email (SNS), paging (HTTP), AWS Support and Security IR cases
    fetch_url: Fetch  # HTTPS GET for SNS certificates and subscriptions (tests inject one)
    sandbox: Sandbox  # the AWS sandbox this process's AWS calls go to (drills act only there)
    playbooks: Mapping[str, Playbook] = field(default_factory=dict)
    detection_rules: tuple[Rule, ...] = ()  # CloudTrail rules, loaded once
    log_queries: Mapping[str, LogQueries] = field(default_factory=dict)  # engine -> the SQL query pack's runner
    query_templates: Mapping[tuple[str, str], Template] = field(default_factory=dict)  # (engine, subject), loaded once
    drills: DrillLibrary = field(default_factory=DrillLibrary)  # the drill scenarios, loaded once
    finding_polls: tuple[FindingPoll, ...] = ()  # run by the clock
    closers: tuple[Callable[[], object], ...] = ()  # released on drain, last built first

    def drain(self) -> None:
        """Let work already accepted finish (graceful shutdown), then release what was opened."""
        self.executor.shutdown(wait=True)
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
