"""Response metrics: time to detect, acknowledge, contain and recover, computed from an
incident, its timeline and its phase times (pure functions: no I/O, no clock).

Definitions (each ends a span that starts at the declaration):
- detect: from the earliest `first_seen` of the findings linked to the incident to the
  declaration. n/a without linked findings, or when the earliest was seen after the
  declaration (people found it first; nothing measures how long that took).
- acknowledge: the first timeline entry written by the person who holds the commander role
  at that moment (before or right after the entry: taking the role counts). A declaration
  by a person who becomes commander acknowledges at once; the bot (SYSTEM_ACTOR) never does.
- contain: the incident first enters a phase after containment (eradication, recovery,
  post-incident or closed): containment is done, not merely started.
- recover: the incident is first resolved (post-incident, or closed): recovery is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean, median
from typing import Callable, Iterable, Mapping

from core.findings.triage import SYSTEM_ACTOR
from core.model import Incident, TimelineEntry

COMMANDER = "commander"
METRICS = ("detect", "acknowledge", "contain", "recover")
SLAS = ("acknowledge", "contain")
CONTAINED_PHASES = ("eradication", "recovery", "post-incident", "closed")
RECOVERED_PHASES = ("post-incident", "closed")


def commander(incident: Incident) -> str | None:
    """The person in command; the bot holding the role (auto-declared) is nobody."""
    holder = incident.roles.get(COMMANDER)
    return None if holder in (None, SYSTEM_ACTOR) else holder


def _first_phase(incident: Incident, phases: tuple[str, ...]) -> datetime | None:
    times = [datetime.fromisoformat(incident.phase_times[p]) for p in phases if incident.phase_times.get(p)]
    return min(times) if times else None


def contained_at(incident: Incident) -> datetime | None:
    return _first_phase(incident, CONTAINED_PHASES)


def recovered_at(incident: Incident) -> datetime | None:
    return _first_phase(incident, RECOVERED_PHASES)


def acknowledged_at(incident: Incident, entries: Iterable[TimelineEntry]) -> datetime | None:
    """See the module docstring; the commander's history is rebuilt from role entries, whose
    first one names the holder before it (else the holder now has held it all along)."""
    ordered = sorted(entries, key=lambda e: (e.at, e.id))
    changes = [e for e in ordered if e.kind == "role" and e.data.get("role") == COMMANDER]
    holder = changes[0].data.get("previous") if changes else incident.roles.get(COMMANDER)
    change_ids = {e.id for e in changes}
    for entry in ordered:
        before = holder
        if entry.id in change_ids:
            holder = entry.data.get("user")
        if entry.actor and entry.actor != SYSTEM_ACTOR and entry.actor in (before, holder):
            return max(entry.at, incident.declared_at)
    return None


def detect_time(incident: Incident, first_seen: datetime | None) -> timedelta | None:
    if first_seen is None or first_seen > incident.declared_at:
        return None
    return incident.declared_at - first_seen


@dataclass(frozen=True)
class Measured:
    incident: Incident
    spans: Mapping[str, timedelta | None]  # metric -> span, None when not reached / unknown
    breaches: frozenset[str]  # SLAs whose milestone was not reached within the limit


def measure(incident: Incident, entries: Iterable[TimelineEntry], first_seen: datetime | None,
            limits: Mapping[str, timedelta | None], now: datetime) -> Measured:
    """All four spans of one incident, and which SLAs it breached (by `now` if still unmet)."""
    start = incident.declared_at
    reached = {"acknowledge": acknowledged_at(incident, entries), "contain": contained_at(incident),
               "recover": recovered_at(incident)}
    spans = {"detect": detect_time(incident, first_seen),
             **{name: (at - start if at else None) for name, at in reached.items()}}
    breaches = frozenset(sla for sla in SLAS if limits.get(sla) is not None
                         and ((spans[sla] if spans[sla] is not None else now - start) > limits[sla]))
    return Measured(incident, spans, breaches)


@dataclass(frozen=True)
class Summary:
    label: str
    count: int
    stats: Mapping[str, tuple[int, timedelta, timedelta] | None]  # metric -> (n, mean, median)
    breaches: Mapping[str, int]


def _stats(spans: list[timedelta]) -> tuple[int, timedelta, timedelta] | None:
    if not spans:
        return None
    seconds = [s.total_seconds() for s in spans]
    return len(seconds), timedelta(seconds=mean(seconds)), timedelta(seconds=median(seconds))


def summarize(measured: list[Measured], label: str) -> Summary:
    return Summary(label, len(measured),
                   {m: _stats([x.spans[m] for x in measured if x.spans[m] is not None]) for m in METRICS},
                   {sla: sum(sla in x.breaches for x in measured) for sla in SLAS})


def group(measured: list[Measured], key: Callable[[Incident], str], order: Iterable[str]) -> list[Summary]:
    """One summary per value of `key`, in `order` (values with no incidents are left out)."""
    groups: dict[str, list[Measured]] = {}
    for item in measured:
        groups.setdefault(key(item.incident), []).append(item)
    known = list(order)
    names = [n for n in known if n in groups] + sorted(n for n in groups if n not in known)
    return [summarize(groups[n], n) for n in names]


def human(span: timedelta) -> str:
    """Compact duration: 45s, 12m, 3h05m, 2d04h."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
