"""Who hears what: the subscriptions of every domain event, wired once here (core only
publishes, core/events.py).

The order of each list is the order of the calls the events replaced, and it matters:
delivery is synchronous and a subscriber's error stops the ones after it, as a direct call
did. So the audit chain comes first (nothing shown may fail before the chain has a role or
severity change), regulatory clocks and communications next (they never raise), then the
incident's channel (a refusal there is the user's "saved but not shown"), and only then
what builds on the change: a drill's scorecard, the new phase's playbook checklist."""

from __future__ import annotations

from typing import Any

from core.audit import service as audit
from core.communications import aws_cases, hooks as communications, regulatory
from core.drills import runner as drills
from core.events import (ContainmentDecided, ContainmentFinished, FindingLinked, FindingsStored, IncidentChanged,
                         IncidentDeclared, Publisher, SecurityIrCaseChanged)
from core.evidence import custody
from core.findings import correlate, sequence_incidents, triage, vulnerabilities
from core.incidents import updates as incidents
from core.playbooks import runtime as playbooks


def counted(services: Any, event: Any) -> None:
    """Metrics: every domain event counted by kind (`firebreak_domain_events` on /metrics)."""
    services.telemetry.domain_events.labels(event=type(event).__name__).inc()


def publisher() -> Publisher:
    return Publisher({
        IncidentDeclared: (counted, playbooks.on_declared, regulatory.on_declared, communications.on_declared),
        IncidentChanged: (counted, audit.on_incident_changed, regulatory.on_changed, communications.on_changed,
                          incidents.show, drills.on_incident_changed, playbooks.on_changed),
        FindingsStored: (counted, triage.on_findings_stored, sequence_incidents.on_findings_stored,
                         correlate.on_findings_stored, vulnerabilities.on_findings_stored),
        SecurityIrCaseChanged: (counted, aws_cases.on_case_event),
        FindingLinked: (counted, sequence_incidents.on_finding_linked, playbooks.on_finding_linked),
        ContainmentDecided: (counted,),
        ContainmentFinished: (counted, custody.on_containment_finished, playbooks.on_containment_finished),
    })
