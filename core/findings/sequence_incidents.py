"""One attack sequence, one incident.

When a sequence finding becomes part of an incident (a route's declare, the Declare button,
Add to incident), the incident's timeline gets the sequence's signals at the times they
happened (so they come first, oldest first), and the member findings already stored join
it. A member finding that arrives later joins its sequence's incident on arrival. Members
never open an incident of their own (the pipeline does not let their routes declare)."""

from __future__ import annotations

import hashlib
import logging

from core.actors import SYSTEM_ACTOR
from core.events import FindingLinked, FindingsStored
from core.findings import sequences
from core.findings.ports import StoredFinding
from core.findings.timeutil import parse_timestamp
from core.findings.triage import attach
from core.services import Services

log = logging.getLogger("firebreak.findings")


def on_finding_linked(services: Services, event: FindingLinked) -> None:
    """Subscriber: a sequence linked to an incident brings its signals and its stored members."""
    if sequences.is_sequence(event.finding.type):
        _bring_in(services, event.finding, event.incident_id)


def on_findings_stored(services: Services, event: FindingsStored) -> None:
    """Subscriber (after automatic declarations): members join their sequence's incident, and a
    sequence already linked that grew new signals or members brings them in."""
    for stored in event.stored:
        if sequences.is_sequence(stored.type):
            current = services.repos.findings.get(stored.pk) or stored
            if current.incident_id is not None:
                _bring_in(services, current, current.incident_id)
            continue
        sequence_id = sequences.member_of(stored.raw)
        if sequence_id:
            _join(services, stored, sequence_id)


def _join(services: Services, member: StoredFinding, sequence_id: str) -> None:
    sequence = sequences.stored(services.repos.findings, member.account, sequence_id)
    if sequence is None or sequence.incident_id is None:
        return  # the sequence is not here yet, or not part of an incident: it brings the member when it is
    _attach(services, member, sequence, sequence.incident_id)


def _bring_in(services: Services, finding: StoredFinding, incident_id: int) -> None:
    sequence = sequences.read(finding.raw)
    if sequence is None:
        return
    now = services.clock.now()
    for signal in sequence.timeline():
        at = parse_timestamp(signal.first_seen) or now
        count = f" ×{signal.count}" if signal.count > 1 else ""
        about = f": {signal.description}" if signal.description else ""
        services.incidents.add_timeline(
            incident_id, kind="signal", at=min(at, now), actor=None,
            text=f"Attack sequence signal ({_kind(signal.type)}) {signal.name}{count}{about}",
            data={"sequence": finding.finding_id, "signal": signal.uid, "type": signal.type, "name": signal.name,
                  "first_seen": signal.first_seen, "last_seen": signal.last_seen, "count": signal.count},
            dedup_key=_signal_key(incident_id, finding, signal.uid or signal.name))
    for member_id in sequence.member_ids():
        member = sequences.stored(services.repos.findings, finding.account, member_id)
        if member is not None and member.account == finding.account:
            _attach(services, member, finding, incident_id)


def _signal_key(incident_id: int, finding: StoredFinding, signal: str) -> str:
    """One entry per signal however the sequence was first stored: by GuardDuty's own id (an
    ASFF copy's ARN is long enough that two signal ARNs cut to 200 characters would collide)."""
    key = f"signal:{incident_id}:{sequences.finding_id(finding.finding_id)}:{signal}"
    return key if len(key) <= 200 else f"{key[:135]}#{hashlib.sha256(key.encode()).hexdigest()}"


def _attach(services: Services, member: StoredFinding, sequence: StoredFinding, incident_id: int) -> None:
    if member.incident_id == incident_id:
        return
    if member.incident_id is not None:
        log.info("finding %s belongs to attack sequence %s but is already part of incident %s", member.finding_id,
                 sequence.finding_id, member.incident_id)
        return
    incident = services.incidents.get(incident_id)
    if incident is None:
        return
    services.incidents.add_timeline(
        incident_id, kind="finding", at=services.clock.now(), actor=SYSTEM_ACTOR,
        text=f"Finding {member.finding_id} ({member.type}) is part of attack sequence {sequence.finding_id}: "
             "attached to this incident, no incident of its own",
        data={"finding_id": member.finding_id, "sequence": sequence.finding_id},
        dedup_key=f"sequence-member:{incident_id}:{member.finding_id}"[:200])
    attach(services, member, incident, f"Part of attack sequence {sequence.finding_id}: added to")


def _kind(signal_type: str) -> str:
    return {"FINDING": "finding", "CLOUD_TRAIL": "CloudTrail", "S3_DATA_EVENTS": "S3 data event",
            "EKS_AUDIT_LOGS": "EKS audit log", "FLOW_LOGS": "VPC flow log", "DNS_LOGS": "DNS log",
            "RUNTIME_MONITORING": "runtime"}.get(signal_type, signal_type.lower() or "signal")
