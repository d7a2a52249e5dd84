"""Domain events: what happened, as typed facts, and the publisher that hands them to
whoever subscribed.

A domain service publishes an event once its change is committed instead of calling the
domains that care (playbooks, communications, drills, audit, metrics), so incidents need
not know them, and a new listener (a regulatory clock, a metric) is a new subscription in
the composition root (composition/events.py), not an edit of `declare`.

Delivery is in-process and synchronous: in the publisher's thread, in subscription order,
before `publish` returns. A subscriber therefore runs inside the publisher's unit of work,
and what it raises reaches the publisher exactly as a direct call's would (the later
subscribers do not run). Subscribers whose failure must not hide a saved change catch their
own errors (communications does). Whatever leaves the process (Slack, AWS, paging) goes
through the ports and their own durable queues, as before: nothing here is queued."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from core.containment.model import ContainRequest
from core.findings.ports import StoredFinding
from core.findings.routing import Decision
from core.findings.security_ir_events import CaseEvent
from core.incidents.model import Incident, TimelineEntry

# What a timeline entry's kind says changed (kinds not named here stand for themselves).
_CHANGED = {"role": "roles", "status_update": "status"}
_ENDED = ("post-incident", "closed")


@dataclass(frozen=True)
class IncidentDeclared:
    """A new incident was stored (and given its channel when there is a chat platform)."""

    incident: Incident
    declared_by: str
    automated: bool = False  # declared by a routing rule or a drill, not by a person
    finding_types: tuple[str, ...] = ()  # of the findings it was declared from (playbook choice)


@dataclass(frozen=True)
class IncidentChanged:
    """A change to an incident was committed under its row lock, with its timeline entries."""

    incident: Incident
    entries: tuple[TimelineEntry, ...]
    actor: str | None
    automated: bool = False
    echo: bool = True  # each new timeline entry is also told in the incident's channel

    @property
    def changed(self) -> frozenset[str]:
        """What changed: entry kinds (phase, severity, category, roles, status, playbook, note,
        ...) and what a phase entry means: resolved, closed, cancelled, reopened."""
        what: set[str] = set()
        for entry in self.entries:
            what.add(_CHANGED.get(entry.kind, entry.kind))
            if entry.kind != "phase":
                continue
            phase, previous = entry.data.get("phase"), entry.data.get("previous")
            if phase == "post-incident" and previous != "post-incident":
                what.add("resolved")
            if phase == "closed":
                what.add("closed")
            if entry.data.get("resolution") == "cancelled":
                what.add("cancelled")
            if previous in _ENDED and phase not in _ENDED:
                what.add("reopened")
        return frozenset(what)

    @property
    def phase_changed(self) -> bool:
        return any(entry.kind == "phase" for entry in self.entries)


@dataclass(frozen=True)
class FindingsStored:
    """A chunk of findings was committed (stored and routed); notifications follow."""

    stored: tuple[StoredFinding, ...]
    to_declare: tuple[tuple[StoredFinding, Decision], ...] = ()  # placed by a `declare` route


@dataclass(frozen=True)
class SecurityIrCaseChanged:
    """An AWS Security Incident Response event came in through intake (a case was created,
    updated, commented on or closed)."""

    case: CaseEvent


@dataclass(frozen=True)
class FindingLinked:
    """A finding became part of an incident (declared from it, added to it, a drill's)."""

    finding: StoredFinding
    incident_id: int
    actor: str | None


@dataclass(frozen=True)
class ContainmentDecided:
    """A response request was approved or denied (committed, audited, on the timeline)."""

    request: ContainRequest
    approved: bool
    actor: str


@dataclass(frozen=True)
class ContainmentFinished:
    """A response request's run reached its verdict (succeeded, failed, or interrupted: unknown)."""

    request: ContainRequest


Event = (IncidentDeclared | IncidentChanged | FindingsStored | FindingLinked | ContainmentDecided
         | ContainmentFinished)
# A subscriber gets the publisher's Services (the unit of work's dependencies) and the event.
Subscriber = Callable[[Any, Any], None]


class Publisher:
    """Subscriptions keyed by event type, fixed when built (the root wires them once)."""

    def __init__(self, subscriptions: Mapping[type, Iterable[Subscriber]] | None = None):
        self._subscriptions = MappingProxyType({kind: tuple(subscribers)
                                                for kind, subscribers in (subscriptions or {}).items()})

    def subscribers(self, kind: type) -> tuple[Subscriber, ...]:
        return self._subscriptions.get(kind, ())

    def publish(self, services: Any, event: Event) -> None:
        """Hand `event` to each subscriber of its type, in order, now."""
        for subscriber in self.subscribers(type(event)):
            subscriber(services, event)


def publish(services: Any, event: Event) -> None:
    """Publish through the services' publisher (`services.events`)."""
    services.events.publish(services, event)
