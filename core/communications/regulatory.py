"""Regulatory notification clocks (`communications.regulatory`). NOT LEGAL ADVICE: the
shipped examples only show the shape; which regimes apply is for counsel to say.

A clock starts when an incident has one of its categories (`awareness`: at declaration, or
when the category changes to one) or when someone records the determination that starts it
(`/incident determined <regime>`, e.g. materiality). Its deadline is hours, or business days
(Monday–Friday), after the start. While it runs the pinned summary shows it; the clock's
sweep reminds the incident channel (mentioning the commander) and the clock's audiences
`remind_before_hours` before the deadline and once when it has passed; `/incident notified
<regime>` records that the notification was made. Every reminder is delivered once per
natural key through the clock's ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from core.communications import rehearsal, service
from core.communications.config import CommunicationsConfig, RegulatoryClock
from core.communications.ports import ClockRecord
from core.errors import InvalidTransition, UsageError
from core.events import IncidentChanged, IncidentDeclared
from core.mentions import person
from core.incidents.metrics import commander
from core.incidents.model import Incident
from core.incidents.ports import ChatError
from core.incidents.roles import require_role
from core.services import Services

log = logging.getLogger("firebreak.regulatory")
NOTIFIED_USAGE = "/incident notified [id] <regime>"
DETERMINED_USAGE = "/incident determined [id] <regime>"
DISCLAIMER = "not legal advice"


def deadline(clock: RegulatoryClock, start: datetime) -> datetime:
    if clock.deadline_hours is not None:
        return start + timedelta(hours=clock.deadline_hours)
    moment, left = start, clock.business_days or 0
    while left:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


@dataclass(frozen=True)
class Running:
    """A clock as the summary shows it."""

    regime: str
    name: str
    deadline: datetime
    met_at: datetime | None
    met_by: str | None


def summary_items(repo, comms: CommunicationsConfig, incident: Incident) -> list[Running]:
    """The incident's clocks, for the pinned summary (none while regulatory clocks are off)."""
    if not comms.regulatory.enabled:
        return []
    items = []
    for record in repo.clocks([incident.id]):
        clock = comms.clock(record.regime)
        items.append(Running(record.regime, clock.name if clock else record.regime, record.deadline,
                             record.met_at, record.met_by))
    return items


def _refresh(services: Services, incident: Incident) -> None:
    if incident.channel_id:
        try:
            services.chat.refresh(services.incidents.get(incident.id) or incident)
        except ChatError:
            log.warning("could not refresh the summary of incident %s", incident.id)


def _note(services: Services, incident: Incident, text: str, actor: str | None, data: dict, key: str | None = None):
    entry = services.incidents.add_timeline(incident.id, kind="regulatory", text=text, at=services.clock.now(),
                                            actor=actor, data=data, dedup_key=key)
    if entry is not None and incident.channel_id:
        try:
            services.chat.post_entries(incident, [entry])
        except ChatError:
            log.warning("could not show a regulatory clock of incident %s", incident.id)
    return entry


def start(services: Services, incident: Incident, clock: RegulatoryClock, at: datetime,
          actor: str | None = None) -> bool:
    due = deadline(clock, at)
    if not services.repos.communications.start_clock(incident.id, clock.regime, at, due):
        return False
    _note(services, incident, f"{clock.name} ({clock.regime}) clock started: deadline {service.fmt(due)} "
          f"({DISCLAIMER})", actor, {"regime": clock.regime, "deadline": due.isoformat()},
          key=f"regulatory:{incident.id}:{clock.regime}:start")
    return True


def on_category(services: Services, incident: Incident, at: datetime) -> int:
    """Awareness clocks of the incident's category start now (declaration or category change)."""
    started = sum(start(services, incident, clock, at) for clock in
                  services.config.communications.clocks_for(incident.category) if clock.start == "awareness")
    if started:
        _refresh(services, incident)
    return started


def on_declared(services: Services, event: IncidentDeclared) -> None:
    """Subscriber: the awareness clocks of the new incident's category start."""
    _never_failing(services, event.incident, lambda: on_category(services, event.incident, event.incident.declared_at))


def on_changed(services: Services, event: IncidentChanged) -> None:
    """Subscriber: a category change starts the awareness clocks of the new category."""
    for entry in event.entries:
        if entry.kind == "category":
            _never_failing(services, event.incident, lambda at=entry.at: on_category(services, event.incident, at))


def _never_failing(services: Services, incident: Incident, step) -> None:
    """The change is saved already: a clock that could not start is logged (the sweep starts it later)."""
    if not services.config.communications.regulatory.enabled:
        return
    try:
        step()
    except Exception:  # noqa: BLE001 - RegulatoryReminders starts awareness clocks a failed start missed
        log.exception("regulatory clocks of incident %s could not start", incident.id)


def _clock(services: Services, regime: str, usage: str) -> RegulatoryClock:
    comms = services.config.communications
    clock = comms.clock(regime.lower()) if comms.regulatory.enabled else None
    if clock is None:
        known = ", ".join(c.regime for c in comms.regulatory.clocks) if comms.regulatory.enabled else ""
        raise UsageError(f"Unknown regime “{regime[:40]}”; " + (f"regimes: {known}." if known else
                         "no regulatory clocks are configured (communications.regulatory)."), usage)
    return clock


def determined(services: Services, incident: Incident, regime: str, actor: str) -> datetime:
    """Record the determination that starts a `determination` clock; its deadline."""
    clock = _clock(services, regime, DETERMINED_USAGE)
    require_role(services.config.incidents, incident, "determined", actor)
    if clock.start != "determination":
        raise UsageError(f"The {clock.regime} clock starts on awareness (its categories), not by a determination.")
    if not start(services, incident, clock, services.clock.now(), actor):
        raise InvalidTransition(f"The {clock.regime} clock of incident {incident.label} is running already.")
    _refresh(services, incident)
    return deadline(clock, services.clock.now())


def notified(services: Services, incident: Incident, regime: str, actor: str) -> ClockRecord:
    """`/incident notified <regime>`: the notification was made; the clock stops."""
    clock = _clock(services, regime, NOTIFIED_USAGE)
    require_role(services.config.incidents, incident, "notified", actor)
    repo, now = services.repos.communications, services.clock.now()
    record = next((c for c in repo.clocks([incident.id]) if c.regime == clock.regime), None)
    if record is None:
        # Notified before the clock started (e.g. early, or a category outside the mapping): record it all the same.
        repo.start_clock(incident.id, clock.regime, now, deadline(clock, now))
    elif record.met_at is not None:
        raise InvalidTransition(f"The {clock.regime} notification of incident {incident.label} was recorded "
                                f"already ({service.fmt(record.met_at)}).")
    repo.meet_clock(incident.id, clock.regime, actor, now)
    record = next(c for c in repo.clocks([incident.id]) if c.regime == clock.regime)
    late = now > record.deadline
    _note(services, incident, f"{clock.name} ({clock.regime}): notification made"
          + (f", {_span(now - record.deadline)} after the deadline" if late else " within the deadline"), actor,
          {"regime": clock.regime, "deadline": record.deadline.isoformat(), "late": late})
    _refresh(services, incident)
    return record


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def reminder_key(incident_id: int, regime: str, label: str) -> str:
    return f"regulatory:{incident_id}:{regime}:{label}"


# Delivers a reminder once per natural key: (key, incident id, send) -> delivered now
# (core.scheduling.delivery.Deliverer, handed in by the clock's registry).
Deliver = Callable[[str, "int | None", Callable[[], object]], bool]


class RegulatoryReminders:
    """The sweep; returns how many reminders it delivered. Also starts awareness clocks that a
    failed hook missed (an incident of a mapped category without its clock)."""

    name = "regulatory-clocks"

    def __init__(self, deliver: Deliver):
        self.deliver = deliver

    def __call__(self, services: Services) -> int:
        comms, now = services.config.communications, services.clock.now()
        if not comms.regulatory.enabled:
            return 0
        repo = services.repos.communications
        sent = 0
        for record in repo.running_clocks():
            clock = comms.clock(record.regime)
            if clock is None or now < record.deadline - timedelta(hours=max(clock.remind_before_hours, default=0)):
                continue
            points = [(record.deadline - timedelta(hours=h), f"{h}h") for h in clock.remind_before_hours]
            points.append((record.deadline, "deadline"))
            passed = [p for p in points if p[0] <= now]
            if not passed:
                continue
            when, label = max(passed)  # only the latest reminder that fell due (after an outage: one)
            key = reminder_key(record.incident_id, record.regime, label)
            if services.repos.notices.states([key]).get(key) == "sent":
                continue
            incident = services.incidents.get(record.incident_id)
            if incident is None:
                continue
            sent += self.deliver(key, incident.id, lambda i=incident, c=clock, r=record, lb=label:
                                 self._remind(services, i, c, r, lb, now))
        return sent

    def _remind(self, services: Services, incident: Incident, clock: RegulatoryClock, record: ClockRecord,
                label: str, now: datetime) -> None:
        left = record.deadline - now
        when = (f"was due {service.fmt(record.deadline)} ({_span(-left)} ago)" if left <= timedelta(0)
                else f"is due {service.fmt(record.deadline)} (in {_span(left)})")
        lead = commander(incident)
        text = (f":hourglass: {clock.name} ({clock.regime}) notification for incident {incident.label} {when}. "
                f"When it is made: `/incident notified {clock.regime}`. ({DISCLAIMER})")
        if lead:
            text = f"{person(lead)} " + text
        if incident.channel_id:
            services.chat.notify(incident.channel_id, text, mentions=(lead,) if lead else ())
        for name in rehearsal.reachable(incident, clock.notify):
            message = service.compose(services, incident, name, "regulatory",
                                      text=f"{clock.name} ({clock.regime}) notification {when}. ({DISCLAIMER})")
            service.send(services, incident, message,
                         key=f"{reminder_key(incident.id, clock.regime, label)}:{name}")
