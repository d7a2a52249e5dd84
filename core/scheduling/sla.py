"""SLA timers: per severity, an incident must be acknowledged and contained within a limit
of its declaration (`scheduling.sla`; milestones as defined in core.incidents.metrics). When a
deadline passes while the incident is still active and the milestone is not reached, the
breach is escalated once: a timeline entry, a message in the incident channel mentioning
`scheduling.escalation.mention` and the commander, and an SNS message when a topic is set.

Each incident and SLA is decided once after its deadline (`met` or `breached`, kept in the
ledger), so the sweep reads a timeline only for incidents not yet decided; each effect of
a breach is a delivery of its own, so one failing (SNS down) is retried without repeating
the others."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.communications import paging
from core.incidents.metrics import SLAS, acknowledged_at, commander, contained_at, human, with_verification
from core.incidents.model import Incident
from core.scheduling.delivery import Deliverer
from core.scheduling.ports import Escalation, Notices, Pager
from core.services import Services


def decision_key(incident_id: int, sla: str) -> str:
    return f"sla:{incident_id}:{sla}"


def breach_text(sla: str, limit: timedelta, severity: str) -> str:
    verb = "acknowledged by its commander" if sla == "acknowledge" else "contained"
    return f"SLA breached: not {verb} within {human(limit)} of its declaration ({severity})"


class SlaEscalations:
    """The sweep; returns how many effects (timeline, chat, SNS) it delivered."""

    name = "sla-escalations"

    def __init__(self, notices: Notices, pager: Pager, deliver: Deliverer):
        self.notices = notices
        self.pager = pager
        self.deliver = deliver

    def __call__(self, services: Services) -> int:
        cfg, now = services.config.scheduling, services.clock.now()
        queries, ledger = services.repos.clock_queries, services.repos.notices
        past = [(incident, sla, limit) for incident in queries.active_incidents() for sla in SLAS
                if (limit := cfg.sla_limit(incident.severity, sla)) and now >= incident.declared_at + limit]
        keys = [decision_key(i.id, sla) for i, sla, _ in past]
        effects = ("timeline", "chat", "sns", "page")
        states = ledger.states(keys + [f"{k}:{effect}" for k in keys for effect in effects])
        entries = queries.actions([i.id for i, sla, _ in past
                                   if sla == "acknowledge" and decision_key(i.id, sla) not in states])
        delivered = 0
        for incident, sla, limit in past:
            key = decision_key(incident.id, sla)
            state = states.get(key)
            if state is None:
                reached = (acknowledged_at(incident, entries.get(incident.id, [])) if sla == "acknowledge"
                           else contained_at(incident, with_verification(
                               services.incidents.timeline(incident.id, limit=None), services.repos.containment.get)))
                state = ledger.decide(key, incident.id, "met" if reached else "breached", now)
            if state == "breached":
                delivered += self._escalate(services, incident, sla, limit, key, states)
        return delivered

    def _escalate(self, services: Services, incident: Incident, sla: str, limit: timedelta, key: str,
                  states: dict) -> int:
        deadline: datetime = incident.declared_at + limit
        # A drill's breach is told in its channel to its commander only: the escalation
        # contacts (scheduling.escalation.mention) are real people a drill leaves alone.
        escalation = Escalation(incident, sla, limit, deadline, commander(incident),
                                () if incident.is_drill else tuple(services.config.scheduling.escalation.mention))
        effects = {"timeline": lambda: services.incidents.add_timeline(
            incident.id, kind="sla_breach", text=breach_text(sla, limit, incident.severity), at=deadline,
            data={"sla": sla, "limit_minutes": int(limit.total_seconds() // 60)}, dedup_key=key)}
        if incident.channel_id:
            effects["chat"] = lambda: self.notices.escalate(escalation)
        if services.config.scheduling.escalation.sns_topic_arn and not incident.is_drill:  # a drill pages nobody
            effects["sns"] = lambda: self.pager.page(escalation)
        if services.config.scheduling.escalation.page:  # PagerDuty / webhook pagers of audiences
            effects["page"] = lambda: paging.escalate(services, escalation)
        return sum(self.deliver(f"{key}:{name}", incident.id, send)
                   for name, send in effects.items() if states.get(f"{key}:{name}") != "sent")
