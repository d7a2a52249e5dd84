"""Every port core needs from the outside, indexed: each domain keeps its own in its
`ports.py` (incidents, findings, containment, evidence, audit, scheduling, drills,
communications, investigation) or beside its model (core/jobs.py's queue); the process-wide
ones sit in their own small modules (the clock, telemetry, the work pool, the user directory,
the HTTPS fetch of SNS intake). Adapters implement them (store/, aws/, handlers/, outbound/,
web/), the composition root wires them; where one is not configured the root hands out its
null object (core/nulls.py), never None.

`Repositories` is the storage half, built once by the root and handed out in `Services.repos`."""

from __future__ import annotations

from dataclasses import dataclass

from core.access import Directory
from core.audit.ports import Anchor, AuditRepository
from core.clock import Clock
from core.communications.ports import (CommunicationsRepository, Email, Outreach, PageTransport,
                                       SecurityIncidentResponse, StakeholderChat, SupportDesk)
from core.containment.ports import Board, Catalog, ContainmentRepository, ExecutionLeaseRepository, Sandbox
from core.evidence.ports import EvidenceReader, EvidenceRepository
from core.findings.ports import (FindingRepository, FindingStateRepository, IntakeRepository, Notifier,
                                 WriteBack)
from core.findings.sns import Fetch
from core.incidents.ports import ActionItemRepository, Archive, Chat, Database, IncidentRepository
from core.investigation.ports import EventHistory, LogQueries
from core.jobs import JobRepository
from core.reports.ports import ReportQueryRepository
from core.scheduling.ports import ClockLeaseRepository, ClockQueryRepository, NoticeRepository, Notices, Pager
from core.telemetry import Telemetry
from core.work_pool import WorkPool

__all__ = ["Anchor", "ActionItemRepository", "Archive", "AuditRepository", "Board", "Catalog", "Chat", "Clock",
           "ClockLeaseRepository", "ClockQueryRepository", "CommunicationsRepository", "ContainmentRepository",
           "Database", "Directory", "Email", "EventHistory", "EvidenceReader", "EvidenceRepository",
           "ExecutionLeaseRepository", "Fetch", "FindingRepository", "FindingStateRepository", "IncidentRepository",
           "IntakeRepository", "JobRepository", "LogQueries", "NoticeRepository", "Notices", "Notifier", "Outreach",
           "PageTransport", "Pager", "ReportQueryRepository", "Repositories", "Sandbox", "SecurityIncidentResponse", "StakeholderChat",
           "SupportDesk", "Telemetry", "WorkPool", "WriteBack"]


@dataclass(frozen=True)
class Repositories:
    """Every repository, built once by the composition root."""

    incidents: IncidentRepository
    findings: FindingRepository
    finding_state: FindingStateRepository
    intake: IntakeRepository
    containment: ContainmentRepository
    leases: ExecutionLeaseRepository
    audit: AuditRepository
    action_items: ActionItemRepository
    clock_leases: ClockLeaseRepository
    notices: NoticeRepository
    clock_queries: ClockQueryRepository
    jobs: JobRepository  # durable work after Slack's ack
    communications: CommunicationsRepository  # notices, pages, regulatory clocks, AWS cases
    evidence: EvidenceRepository  # the chain-of-custody manifest
    reports: ReportQueryRepository  # the program report's reads (findings, containment, action items)
