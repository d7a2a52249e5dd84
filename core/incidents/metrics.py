"""Response metrics: time to detect, acknowledge, collect evidence, contain and recover,
replayed from an
incident's timeline (pure functions: no I/O, no clock). README "Response metrics" says the
same in words; keep the two in step.

Each span ends at a milestone and starts at the declaration (detect ends there):
- detect: from the earliest `first_seen` of the findings linked to the incident to the
  declaration. n/a without linked findings, or when the earliest was seen after the
  declaration (people found it first; nothing measures how long that took).
- acknowledge: the first deliberate act on the incident by the person in command: any
  timeline entry written by whoever holds the commander role at that moment (before or right
  after the entry, so taking the role counts). A declaration by a person who becomes
  commander acknowledges at once; the bot (SYSTEM_ACTOR) never does. Not acts: a pinned
  message (its author did nothing to the incident; whether someone pins it is chance),
  the result of a containment run (written under the approver's name by the executor), SLA
  breaches and indicator matches.
- contain: the start of the stretch of being contained that still holds at the end of the
  timeline. The incident is contained while it is in eradication or a later phase, or while
  a containment request that succeeded *and was verified* is in effect (not undone). With
  no walk-back this is the earlier of the first verified containment and entering
  eradication; walking back below eradication with nothing in effect (analysis → recovery by
  mistake and back), or undoing the only containment before eradication (wrong instance),
  removes the milestone, and the next containment sets it anew. An undo, or a remediation
  that lifts an isolation (lift-isolation), takes its containment out of effect.
- evidence: the first evidence collection (`/evidence …`) that succeeded. Evidence is kept,
  so nothing removes the milestone.
- recover: the start of the stretch in post-incident (or closed) that still holds: a reopen
  removes it, resolving again sets it anew.
Cancelled incidents and false positives are not measured at all (Incident.measured).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import mean, median
from typing import Callable, Iterable, Mapping

from core.actors import SYSTEM_ACTOR
from core.incidents.model import PHASES, Incident, TimelineEntry

COMMANDER = "commander"
METRICS = ("detect", "acknowledge", "evidence", "contain", "recover")
SLAS = ("acknowledge", "contain")
CONTAINED_PHASES = ("eradication", "recovery", "post-incident", "closed")
RECOVERED_PHASES = ("post-incident", "closed")
NOT_ACTS = ("pin", "sla_breach", "indicator")
CONTAINMENT_ACTS = ("requested", "approved", "denied")  # steps a person took (the rest: results)
RESPONSE_KINDS = ("containment", "evidence", "remediation")  # timeline kinds of the response engine
SUCCEEDED = "succeeded"


def commander(incident: Incident) -> str | None:
    """The person in command; the bot holding the role (auto-declared) is nobody."""
    holder = incident.roles.get(COMMANDER)
    return None if holder in (None, SYSTEM_ACTOR) else holder


def _ordered(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=lambda e: (e.at, e.id))


def _is_act(entry: TimelineEntry) -> bool:
    if entry.kind in NOT_ACTS or not entry.actor or entry.actor == SYSTEM_ACTOR:
        return False
    return entry.kind not in RESPONSE_KINDS or entry.data.get("step") in CONTAINMENT_ACTS


def acknowledged_at(incident: Incident, entries: Iterable[TimelineEntry]) -> datetime | None:
    """See the module docstring; the commander's history is rebuilt from role entries, whose
    first one names the holder before it (else the holder now has held it all along)."""
    ordered = _ordered(entries)
    changes = [e for e in ordered if e.kind == "role" and e.data.get("role") == COMMANDER]
    holder = changes[0].data.get("previous") if changes else incident.roles.get(COMMANDER)
    change_ids = {e.id for e in changes}
    for entry in ordered:
        before = holder
        if entry.id in change_ids:
            holder = entry.data.get("user")
        if _is_act(entry) and entry.actor in (before, holder):
            return max(entry.at, incident.declared_at)
    return None


def _stretch(incident: Incident, entries: Iterable[TimelineEntry],
             holds: Callable[[str, frozenset[int]], bool]) -> datetime | None:
    """Replay phases and containment in effect; when the stretch in which `holds(phase,
    in_effect)` is true without a break up to the end began (None: it does not hold now)."""
    phase, in_effect, since = "detection", frozenset(), None
    for entry in _ordered(entries):
        if entry.kind == "phase" and entry.data.get("phase") in PHASES:
            phase = entry.data["phase"]
        elif entry.kind in RESPONSE_KINDS and entry.data.get("step") == SUCCEEDED:
            if entry.data.get("undo_of") is not None:  # an undo, or a remediation that lifts a containment
                in_effect -= {entry.data["undo_of"]}
            elif entry.kind == "containment" and entry.data.get("verified") is True:
                in_effect |= {entry.data.get("request")}
        else:
            continue
        if not holds(phase, in_effect):
            since = None
        elif since is None:
            since = max(entry.at, incident.declared_at)
    return since


def _phase_times_fallback(incident: Incident, phases: tuple[str, ...]) -> datetime | None:
    """Without the timeline: the first time a phase was entered, if the incident is in one now."""
    if incident.phase not in phases:
        return None
    times = [datetime.fromisoformat(incident.phase_times[p]) for p in phases if incident.phase_times.get(p)]
    return min(times) if times else None


def contained_at(incident: Incident, entries: Iterable[TimelineEntry] | None = None) -> datetime | None:
    """Pass the timeline; without it (older callers) only the phase counts, from phase_times."""
    if entries is None:
        return _phase_times_fallback(incident, CONTAINED_PHASES)
    return _stretch(incident, entries, lambda phase, in_effect: phase in CONTAINED_PHASES or bool(in_effect))


def evidence_at(incident: Incident, entries: Iterable[TimelineEntry] | None = None) -> datetime | None:
    """The first evidence collection that succeeded (evidence is never undone: once kept, kept)."""
    collected = [e.at for e in entries or () if e.kind == "evidence" and e.data.get("step") == SUCCEEDED
                 and e.data.get("undo_of") is None]
    return max(min(collected), incident.declared_at) if collected else None


def recovered_at(incident: Incident, entries: Iterable[TimelineEntry] | None = None) -> datetime | None:
    if entries is None:
        return _phase_times_fallback(incident, RECOVERED_PHASES)
    return _stretch(incident, entries, lambda phase, _in_effect: phase in RECOVERED_PHASES)


def with_verification(entries: Iterable[TimelineEntry], lookup: Callable[[int], object | None]
                      ) -> list[TimelineEntry]:
    """Timelines written before containment results carried `verified` and `undo_of`: fill
    them in from the request (`lookup(id)` → a ContainRequest or None)."""
    filled = []
    for entry in entries:
        if entry.kind == "containment" and entry.data.get("step") == SUCCEEDED and "verified" not in entry.data:
            request = lookup(entry.data.get("request"))
            if request is not None:
                entry = replace(entry, data={**entry.data, "undo_of": getattr(request, "undo_of", None),
                                             "verified": bool((getattr(request, "outcome", None) or {})
                                                              .get("verified"))})
        filled.append(entry)
    return filled


def detect_time(incident: Incident, first_seen: datetime | None) -> timedelta | None:
    if first_seen is None or first_seen > incident.declared_at:
        return None
    return incident.declared_at - first_seen


def spans(incident: Incident, entries: Iterable[TimelineEntry], first_seen: datetime | None
          ) -> dict[str, timedelta | None]:
    """metric -> span from the declaration (None: not reached, or unknown)."""
    entries = list(entries)
    reached = {"acknowledge": acknowledged_at(incident, entries), "evidence": evidence_at(incident, entries),
               "contain": contained_at(incident, entries), "recover": recovered_at(incident, entries)}
    return {"detect": detect_time(incident, first_seen),
            **{name: (at - incident.declared_at if at else None) for name, at in reached.items()}}


@dataclass(frozen=True)
class Measured:
    incident: Incident
    spans: Mapping[str, timedelta | None]  # metric -> span, None when not reached / unknown
    breaches: frozenset[str]  # SLAs whose milestone was not reached within the limit


def measure(incident: Incident, entries: Iterable[TimelineEntry], first_seen: datetime | None,
            limits: Mapping[str, timedelta | None], now: datetime) -> Measured:
    """All five spans of one incident, and which SLAs it breached (by `now` if still unmet)."""
    start, measured = incident.declared_at, spans(incident, entries, first_seen)
    breaches = frozenset(sla for sla in SLAS if limits.get(sla) is not None
                         and ((measured[sla] if measured[sla] is not None else now - start) > limits[sla]))
    return Measured(incident, measured, breaches)


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
