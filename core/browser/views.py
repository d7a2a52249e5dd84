"""What the browser view's pages show, read under the same rules as Slack's commands:
`listed` and `find` (core/incidents/service.py) decide who may see which incident, through
the one visibility function (`visible_to` → core.access.may_see). The browser asks it to
fail closed while Slack cannot list a private channel's members (it works when Slack is down)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import access
from core.containment.model import ContainRequest
from core.evidence import custody
from core.incidents import service as incidents
from core.incidents.lifecycle import allowed_phases
from core.incidents.model import ActionItem, Incident, TimelineEntry
from core.services import Services

SCANNED = 500  # the newest incidents the list's filters look through


@dataclass(frozen=True)
class Filters:
    severity: str = ""
    phase: str = ""
    category: str = ""
    account: str = ""
    kind: str = ""  # "drill" | "real" | "" (both)

    @classmethod
    def of(cls, args) -> "Filters":
        kind = args.get("kind", "")
        return cls(*(str(args.get(name, ""))[:80].strip() for name in ("severity", "phase", "category", "account")),
                   kind=kind if kind in ("drill", "real") else "")


def incident_list(services: Services, actor: str, filters: Filters) -> list[Incident]:
    """The incidents `actor` may see (newest first) that match every filter given."""
    found = incidents.listed(services, actor, limit=SCANNED, severity=filters.severity or None,
                             unknown_members_hide=True)
    keep = [i for i in found if (not filters.phase or i.phase == filters.phase)
            and (not filters.category or i.category == filters.category)
            and (not filters.kind or i.is_drill == (filters.kind == "drill"))]
    if filters.account:
        keep = [i for i in keep if filters.account in accounts(services, i.id)]
    return keep


def accounts(services: Services, incident_id: int) -> set[str]:
    """The AWS accounts an incident touches: its findings' and its response requests'."""
    return ({f.account for f in services.repos.findings.linked(incident_id) if f.account}
            | {r.account for r in services.repos.containment.for_incident(incident_id) if r.account})


@dataclass(frozen=True)
class IncidentPage:
    incident: Incident
    timeline: list[TimelineEntry]
    page: int
    pages: int
    findings: list
    requests: list[ContainRequest]
    evidence: list
    action_items: list[ActionItem]
    phases: list[str] = field(default_factory=list)  # where the phase may go next


def incident_page(services: Services, actor: str, incident_id: int, *, page: int, per_page: int) -> IncidentPage:
    """Everything the incident's page shows; NotFound when `actor` may not see it."""
    incident = incidents.find(services, actor=actor, channel=None, ref=str(incident_id), unknown_members_hide=True)
    total = services.incidents.timeline_page(incident.id, page=1, per_page=1)[1]
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries, _ = services.incidents.timeline_page(incident.id, page=page, per_page=per_page)
    return IncidentPage(incident, entries, page, pages, services.repos.findings.linked(incident.id),
                        services.repos.containment.for_incident(incident.id),
                        custody.manifest(services, incident.id),
                        services.repos.action_items.for_incident(incident.id), allowed_phases(incident.phase))


def require_responder(services: Services, actor: str) -> None:
    """Pages that show no incident (health, the report) are for responders too."""
    access.require_responder(actor, services.config.access.responders, services.directory)
