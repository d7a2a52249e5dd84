"""Every port core needs from the outside, indexed: each domain keeps its own in its
`ports.py` (incidents, findings, containment, evidence, audit, scheduling, drills,
communications, investigation) or beside its model (core/jobs.py's queue); adapters
implement them (store/, aws/, handlers/, outbound/), the composition root wires them.

`Repositories` is the storage half, built once by the root and handed out in `Services.repos`."""

from __future__ import annotations

from dataclasses import dataclass
from core.audit.ports import Anchor, AuditRepository
from core.communications.ports import CommunicationsRepository, Outreach
from core.containment.ports import Board, Catalog, ContainmentRepository, ExecutionLeaseRepository
from core.drills.ports import Sandbox
from core.evidence.ports import EvidenceReader, EvidenceRepository
from core.findings.ports import (FindingRepository, FindingStateRepository, IntakeRepository, Notifier,
                                 WriteBack)
from core.incidents.ports import ActionItemRepository, Archive, Chat, Database, IncidentRepository
from core.investigation.ports import EventHistory, LogQueries
from core.jobs import JobRepository
from core.scheduling.ports import ClockLeaseRepository, ClockQueryRepository, NoticeRepository, Notices, Pager

__all__ = ["Anchor", "ActionItemRepository", "Archive", "AuditRepository", "Board", "Catalog", "Chat",
           "ClockLeaseRepository", "ClockQueryRepository", "CommunicationsRepository", "ContainmentRepository",
           "Database", "EventHistory", "EvidenceReader", "EvidenceRepository", "ExecutionLeaseRepository", "FindingRepository",
           "FindingStateRepository", "IncidentRepository", "IntakeRepository", "JobRepository", "LogQueries",
           "NoticeRepository", "Notices", "Notifier", "Outreach", "Pager", "Repositories", "Sandbox", "WriteBack"]


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
