"""Appending acts to the audit chain, anchoring its head outside the database, and checking
it (`python bot.py audit verify`)."""

from __future__ import annotations

import logging

from core.audit.chain import Anchored, AuditKey, Verdict, audit_key, verify
from core.errors import NotConnected, UsageError
from core.events import IncidentChanged
from core.incidents.model import Incident, TimelineEntry
from core.services import Services

log = logging.getLogger("firebreak.audit")

# Timeline entry kinds that change who may act or what the rules demand (approver lists and
# permissions follow roles and severity), so they go on the chain as well as the timeline.
AUDITED_KINDS = ("role", "severity")


def key_of(services: Services) -> AuditKey | None:
    return audit_key(services.settings.secrets.audit_key)


def record(services: Services, event: dict) -> int:
    """Append one event now; returns its seq."""
    return services.repos.audit.append(event, services.clock.now())


def record_incident_changes(services: Services, incident: Incident, entries: list[TimelineEntry]) -> None:
    """Role and severity changes that were just committed, as audit events (one per entry)."""
    for entry in entries:
        if entry.kind in AUDITED_KINDS:
            event = {"event": f"incident-{entry.kind}", "incident": incident.id, "actor": entry.actor,
                     "timeline_entry": entry.id, **{k: v for k, v in entry.data.items() if k != "event"}}
            services.repos.audit.append(event, entry.at)


def on_incident_changed(services: Services, event: IncidentChanged) -> None:
    """Subscriber, first of IncidentChanged's: on the chain right after the change commits (the
    incident store's transaction does not reach the chain), before anything is shown."""
    record_incident_changes(services, event.incident, list(event.entries))


def anchor_head(services: Services) -> int:
    """The clock's sweep: copy the head to the anchor when it moved forward. A head behind (or
    beside) the latest anchor is not anchored: that is tampering for `audit verify` to name."""
    anchor = services.anchor
    head = services.repos.audit.head()
    if head is None or head[0] == 0:
        return 0
    latest = anchor.latest()
    if latest is not None and head[0] <= latest.seq:
        if head[0] < latest.seq or head[1] != latest.hash:
            log.error("audit chain head (entry %d) is behind or differs from the anchored entry %d of %s: "
                      "not anchoring it; run `python bot.py audit verify`", head[0], latest.seq,
                      latest.at.isoformat())
        return 0
    try:
        where = anchor.put(Anchored(head[0], head[1], services.clock.now()))
    except NotConnected:  # no anchor configured in this process (the sweep is registered only with one)
        return 0
    log.info("anchored audit chain head at entry %d in %s", head[0], where)
    return 1


def check(services: Services) -> Verdict:
    """The whole chain against its head row, the key (if configured) and the latest anchor."""
    audit = services.repos.audit
    anchored = services.anchor.latest()
    sealed, problem = audit.sealed_head()
    if problem:
        return Verdict(0, 1, problem, anchored)
    return verify(audit.records(), audit.head(), key=key_of(services), anchor=anchored, require_head=True,
                  sealed_head=sealed)


def seal(services: Services) -> int:
    """Append a keyed entry so the unkeyed entries before it are covered by the key."""
    if key_of(services) is None:
        raise UsageError("FIREBREAK_AUDIT_KEY is not set: there is nothing to seal the chain with.")
    return record(services, {"event": "audit-sealed"})
