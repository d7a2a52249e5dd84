"""Incident lifecycle decisions: who may declare, what a valid declaration is."""

from __future__ import annotations

from dataclasses import dataclass

from core.access import require_responder
from core.errors import UsageError
from core.model import Incident
from core.services import Services


@dataclass(frozen=True)
class Declared:
    incident: Incident
    created: bool  # False when the same request (dedup_key) had already declared it


def declare(services: Services, *, title: str, declared_by: str, severity: str | None = None,
            category: str | None = None, origin_channel: str | None = None,
            dedup_key: str | None = None) -> Declared:
    """Declare an incident; idempotent per dedup_key (Slack trigger id, finding id)."""
    cfg = services.config.incidents
    require_responder(declared_by, services.config.access.responders, services.directory)
    title = " ".join(title.split())
    if not title:
        raise UsageError("An incident needs a title.", "/incident declare [severity] <title>")
    if len(title) > cfg.max_title_length:
        raise UsageError(f"The title is {len(title)} characters; the limit is {cfg.max_title_length}.",
                         "/incident declare [severity] <title>")
    severity = severity or cfg.default_severity
    if severity not in cfg.severity_names:
        raise UsageError(f"Unknown severity {severity!r}; use one of {', '.join(cfg.severity_names)}.",
                         "/incident declare [severity] <title>")
    category = category or cfg.default_category
    if category not in cfg.categories:
        raise UsageError(f"Unknown category {category!r}; use one of {', '.join(cfg.categories)}.")
    incident, created = services.incidents.create(
        title=title, severity=severity, category=category, declared_by=declared_by,
        at=services.clock.now(), origin_channel=origin_channel, dedup_key=dedup_key,
        timeline_text=f"Incident declared: {title}")
    return Declared(incident, created)
