"""A critical vulnerability with a known exploit on an instance or function that an open
incident is about: the incident hears "also seen in finding …" once, on its timeline and in
its channel. Other vulnerability findings stay in their digest: a fleet has thousands."""

from __future__ import annotations

import re

from core.events import FindingsStored
from core.findings import formats
from core.findings.formats.common import instance_id
from core.findings.ports import IndicatorMatch, StoredFinding
from core.services import Services

OPEN_INCIDENTS = 200  # open incidents looked at; more than any team runs at once
_QUALIFIED_FUNCTION = re.compile(r"^(arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+)(:.+)?$")


def targets(resources: list[dict[str, str]], indicators: dict[str, list[str]] | None = None) -> set[tuple[str, str]]:
    """("instance", id) and ("function", unqualified ARN) a finding is about."""
    found = set()
    for resource in resources:
        rtype, rid = str(resource.get("type")), str(resource.get("id"))
        if (iid := instance_id(rtype, rid)) is not None:
            found.add(("instance", iid))
        elif rtype == "AwsLambdaFunction" and (match := _QUALIFIED_FUNCTION.match(rid)):
            found.add(("function", match.group(1)))
    found.update(("instance", iid) for iid in (indicators or {}).get("instance_id", []))
    return found


def critical_exploitable(finding: StoredFinding) -> bool:
    return (finding.severity == "critical" and bool(finding.indicators.get("cve"))
            and formats.exploitable(finding.raw_format, finding.raw))


def announce(services: Services, findings: list[StoredFinding]) -> int:
    """Record and announce the matches of `findings`; how many incidents were told."""
    candidates = [f for f in findings if critical_exploitable(f)]
    if not candidates:
        return 0
    about: dict[tuple[str, str], list[tuple[int, str | None, str]]] = {}
    for incident in services.incidents.recent(OPEN_INCIDENTS, open_only=True):
        channel = incident.channel_id or incident.origin_channel
        for linked in services.repos.findings.linked(incident.id):
            for target in targets(linked.resources, linked.indicators):
                about.setdefault(target, []).append((incident.id, channel, linked.finding_id))
    told = 0
    for finding in candidates:
        cves = ", ".join(finding.indicators.get("cve", []))
        for kind, value in sorted(targets(finding.resources, finding.indicators)):
            for incident_id, channel, linked_id in about.get((kind, value), []):
                if incident_id == finding.incident_id:
                    continue
                entry = services.incidents.add_timeline(
                    incident_id, kind="indicator", at=services.clock.now(), actor=None,
                    text=f"Also seen in finding {finding.finding_id}: critical {cves} with a known exploit on "
                         f"{kind} {value} ({finding.title})",
                    data={"finding_id": finding.finding_id, "linked_finding_id": linked_id, "cve": cves,
                          "shared": [[kind, value]]},
                    dedup_key=f"vulnerability:{incident_id}:{finding.finding_id}"[:200])
                if entry is None:
                    continue
                told += 1
                if channel:
                    services.notifier.indicator_seen(IndicatorMatch(
                        incident_id, channel, finding.finding_id, finding.title, linked_id,
                        [("cve", cve) for cve in finding.indicators.get("cve", [])] + [(kind, value)]))
    return told


def on_findings_stored(services: Services, event: FindingsStored) -> None:
    """Subscriber: every stored chunk's critical exploitable vulnerabilities."""
    announce(services, list(event.stored))
