"""Indicators shared with open incidents: when a finding carries an IP, domain, access key,
principal or instance id that a finding linked to an open incident also carries, the
incident hears about it ("also seen in finding ...") once, on its timeline and in its channel.
Drills and real incidents never meet here: a drill's findings (the sandbox's ids, which the
shipped samples share) are not compared, and a drill incident is not told of real ones."""

from __future__ import annotations

from core.events import FindingsStored
from core.findings import drill_marks
from core.findings.ports import IndicatorMatch, StoredFinding
from core.services import Services


def announce(services: Services, findings: list[StoredFinding]) -> int:
    """Record and announce matches for `findings`; returns how many incidents were told."""
    if not findings:
        return 0
    known = services.repos.finding_state.open_incident_indicators()
    if not known:
        return 0
    told = 0
    drills: dict[int, bool] = {}

    def is_drill(incident_id: int) -> bool:
        if incident_id not in drills:
            incident = services.incidents.get(incident_id)
            drills[incident_id] = incident is not None and incident.is_drill
        return drills[incident_id]

    for finding in findings:
        if finding.indicators.get("cve"):  # a vulnerability: core/findings/vulnerabilities.py says when it matters
            continue
        if drill_marks.is_drill(finding):
            continue  # a drill's findings are announced in its own channel, never in another incident
        for match in _matches(finding, known):
            if is_drill(match.incident_id):
                continue  # nor does a real finding turn up in a drill
            entry = services.incidents.add_timeline(
                match.incident_id, kind="indicator", at=services.clock.now(), actor=None,
                text=f"Also seen in finding {finding.finding_id} ({finding.severity}, {finding.type}): "
                     + ", ".join(f"{kind} {value}" for kind, value in match.shared),
                data={"finding_id": finding.finding_id, "linked_finding_id": match.linked_finding_id,
                      "shared": [list(pair) for pair in match.shared]},
                dedup_key=f"indicator:{match.incident_id}:{finding.finding_id}"[:200])
            if entry is not None:  # first time for this incident and finding
                told += 1
                if match.channel:
                    services.notifier.indicator_seen(match)
    return told


def on_findings_stored(services: Services, event: FindingsStored) -> None:
    """Subscriber: every stored finding is compared with those of open incidents."""
    announce(services, list(event.stored))


def _matches(finding: StoredFinding, known: dict) -> list[IndicatorMatch]:
    shared: dict[int, tuple[str | None, str, list[tuple[str, str]]]] = {}
    for kind, values in sorted(finding.indicators.items()):
        for value in values:
            for incident_id, channel, linked in known.get((kind, value), ()):
                if incident_id == finding.incident_id or linked == finding.finding_id:
                    continue
                shared.setdefault(incident_id, (channel, linked, []))[2].append((kind, value))
    return [IndicatorMatch(incident_id, channel, finding.finding_id, finding.title, linked, sorted(set(pairs)))
            for incident_id, (channel, linked, pairs) in sorted(shared.items())]
