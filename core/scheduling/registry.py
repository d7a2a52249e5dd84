"""The sweeps the clock runs, by name; each becomes one persisted APScheduler job.

A sweep is a function of Services that decides from the database what is due *now*
(services.clock) and acts on it idempotently, so running it late, twice, or on another
clock after a failover changes nothing. That is also the contract for expiry hooks:
features add `(name, function)` to EXPIRY_HOOKS (or `register` them on a registry) and
the clock runs them every `scheduling.sweep_seconds`; the return value (how many things
were handled) is logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from core.audit.service import anchor_head
from core.communications.aws_cases import SECURITY_IR, SUPPORT, CaseSync
from core.communications.regulatory import RegulatoryReminders
from core.communications.service import NoticeRetries
from core.containment import service as containment_service
from core.drills.runner import deliver_due as deliver_drill_findings
from core.findings.pipeline import release_snoozed
from core.scheduling.delivery import Deliverer
from core.scheduling.ports import Notices, Pager
from core.scheduling.reminders import UpdateReminders
from core.scheduling.review import ReviewReminders
from core.scheduling.sla import SlaEscalations
from core.services import Services


def expire_approvals(services: Services) -> int:
    """Containment requests still awaiting approval after their window become `expired`,
    their cards edited to say so."""
    return containment_service.expire_approvals(services)


# Expiry of what other features put off until a time: snoozed findings are shown again,
# unapproved containment requests expire (approving one checks the time too; this keeps the
# stored state and listings true without waiting for someone to look).
EXPIRY_HOOKS: tuple[tuple[str, Callable[[Services], object]], ...] = (
    ("finding-snoozes", release_snoozed),
    ("containment-approvals", expire_approvals),
    ("drill-findings", deliver_drill_findings),  # a drill's findings arrive on its schedule
)


@dataclass(frozen=True)
class Sweep:
    name: str
    run: Callable[[Services], object]
    every_seconds: int


class SweepRegistry:
    def __init__(self) -> None:
        self._sweeps: dict[str, Sweep] = {}

    def register(self, name: str, run: Callable[[Services], object], every_seconds: int) -> Sweep:
        if name in self._sweeps:
            raise ValueError(f"a sweep named {name!r} is registered already")
        if every_seconds < 1:
            raise ValueError(f"sweep {name!r}: every_seconds must be at least 1")
        sweep = self._sweeps[name] = Sweep(name, run, every_seconds)
        return sweep

    def get(self, name: str) -> Sweep | None:
        return self._sweeps.get(name)

    def __iter__(self) -> Iterator[Sweep]:
        return iter(list(self._sweeps.values()))

    def __len__(self) -> int:
        return len(self._sweeps)


def default_registry(services: Services, notices: Notices, pager: Pager, holder: str) -> SweepRegistry:
    """Reminders (updates, postmortems, action items), SLA escalation and the expiry hooks, every
    `scheduling.sweep_seconds`."""
    every = services.config.scheduling.sweep_seconds
    deliver = Deliverer(services.repos.notices, holder, services.clock)
    registry = SweepRegistry()
    registry.register(UpdateReminders.name, UpdateReminders(notices, deliver), every)
    registry.register(SlaEscalations.name, SlaEscalations(notices, pager, deliver), every)
    registry.register(ReviewReminders.name, ReviewReminders(notices, deliver), every)
    for name, hook in EXPIRY_HOOKS:
        registry.register(name, hook, every)
    recovery = services.config.containment.recovery_interval_seconds
    if recovery:
        registry.register("containment-recovery", containment_service.recover, recovery)
    if services.config.communications.regulatory.enabled:  # reminders before notification deadlines
        registry.register(RegulatoryReminders.name, RegulatoryReminders(deliver), every)
    comms = services.config.communications
    if comms.audiences and comms.retry_attempts:  # automatic notifications that failed, sent again
        registry.register(NoticeRetries.name, NoticeRetries(), every)
    if comms.aws_support.enabled:  # new correspondence of open AWS Support cases into their channels
        sync = CaseSync(SUPPORT)
        registry.register(sync.name, sync, comms.aws_support.poll_seconds)
    if comms.aws_ir.enabled:  # Security IR comments both ways, and the case status
        sync = CaseSync(SECURITY_IR)
        registry.register(sync.name, sync, comms.aws_ir.poll_seconds)
    if services.config.audit.anchor.s3_bucket:  # the audit chain's head, copied outside the database
        registry.register("audit-anchor", anchor_head, services.config.audit.anchor.interval_seconds)
    return registry
