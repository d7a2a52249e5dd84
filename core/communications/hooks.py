"""What follows a committed declaration or change (subscribed to IncidentDeclared and
IncidentChanged in the composition root): the plan's notifications and pages, pages
following the phase, and (with communications.aws_support.resolve_on_resolution) the AWS
Support case resolved. Regulatory clocks subscribe on their own (regulatory.on_declared).

Nothing here may fail the change that caused it (it is saved already): every problem is
logged, recorded with the notification or page, and shown by `/incident stakeholders`."""

from __future__ import annotations

import logging

from core.communications import aws_cases, paging, service
from core.events import IncidentChanged, IncidentDeclared
from core.incidents.model import Incident, TimelineEntry
from core.services import Services

log = logging.getLogger("firebreak.communications")


def _configured(services: Services) -> bool:
    comms = services.config.communications
    return bool(comms.rules or comms.audiences or comms.regulatory.enabled or comms.aws_support.enabled)


def after_declare(services: Services, incident: Incident) -> None:
    if not _configured(services):
        return
    for step in (lambda: service.on_declared(services, incident),
                 lambda: paging.by_plan(services, incident, "declared")):
        try:
            step()
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("communications after declaring incident %s failed", incident.id)


def after_change(services: Services, incident: Incident, entries: list[TimelineEntry]) -> None:
    if not _configured(services) or not entries:
        return
    steps = [lambda: service.on_entries(services, incident, entries),
             lambda: paging.follow(services, incident, entries),
             lambda: aws_cases.on_resolution(services, incident, entries)]
    for entry in entries:
        if entry.kind == "severity":
            steps.append(lambda: paging.by_plan(services, incident, "severity"))
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001
            log.exception("communications after a change of incident %s failed", incident.id)


def on_declared(services: Services, event: IncidentDeclared) -> None:
    after_declare(services, event.incident)


def on_changed(services: Services, event: IncidentChanged) -> None:
    after_change(services, event.incident, list(event.entries))
