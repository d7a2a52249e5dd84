"""The drill scorecard: how fast and how well the team responded, against the scenario.

Times count from the drill's start (its declaration): acknowledge (the first thing a person
did on the incident beyond the drill's own setup), first containment requested, containment
verified; each against the scenario's SLA. Expected actions are matched by action and target:
done (verified), done as a dry run, done differently (the action on another target or another
action on the target), missed; plus what nobody expected. Playbook steps ticked, and who did what."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from core.actors import SYSTEM_ACTOR
from core.mentions import person
from core.incidents.model import Incident
from core.services import Services

SETUP_KINDS = ("declared", "drill", "finding", "playbook")


def _minutes(delta: timedelta | None) -> str:
    if delta is None:
        return "not reached"
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _against(delta: timedelta | None, limit_minutes: int) -> str:
    mark = "met" if delta is not None and delta <= timedelta(minutes=limit_minutes) else "MISSED"
    return f"{_minutes(delta)} (SLA {limit_minutes}m: {mark})"


def _target(value: str) -> str:
    """Targets as compared: an address and its /32 are the same."""
    return value.removesuffix("/32").lower()


def build(services: Services, incident: Incident) -> dict:
    drill = incident.drill
    start = datetime.fromisoformat(drill["started_at"])
    entries = services.incidents.timeline(incident.id, limit=None)
    requests = [r for r in services.repos.containment.for_incident(incident.id) if r.undo_of is None]
    sla = drill.get("sla", {})

    acts = [e for e in entries if e.actor and e.actor != SYSTEM_ACTOR and e.kind not in SETUP_KINDS and e.at >= start]
    ack = min((e.at for e in acts), default=None)
    first = min((r.requested_at for r in requests), default=None)
    verified = min((r.finished_at for r in requests if r.state in ("succeeded", "undone") and r.outcome.get("verified")
                    and r.finished_at), default=None)
    times = {"acknowledge": (ack - start) if ack else None,
             "first_containment": (first - start) if first else None,
             "contained": (verified - start) if verified else None}

    results, used = [], set()
    for want in drill.get("expected", []):
        same = [r for r in requests if r.action == want["action"] and _target(r.target) == _target(want["target"])]
        done = [r for r in same if r.state in ("succeeded", "undone") and r.outcome.get("verified")]
        if done:
            outcome = "done"
        elif [r for r in same if r.dry_run]:
            outcome = "done as a dry run"
        elif same:
            outcome = f"requested, not done ({same[-1].state})"
        elif [r for r in requests if r.action == want["action"] or _target(r.target) == _target(want["target"])]:
            outcome = "done differently"
            same = [r for r in requests if r.action == want["action"] or _target(r.target) == _target(want["target"])]
        else:
            outcome = "missed"
        used.update(r.id for r in same)
        results.append({"action": want["action"], "target": want["target"], "outcome": outcome})
    unexpected = [f"{r.action} {r.target} ({r.state})" for r in requests if r.id not in used]

    done_steps = len(incident.playbook_state.get("done", {}))
    total_steps = incident.playbook_state.get("total", 0)
    who: dict[str, Counter] = {}
    for e in acts:
        who.setdefault(e.actor, Counter())[e.kind] += 1
    for r in requests:
        who.setdefault(r.requested_by, Counter())["requested containment"] += 1
        if r.decided_by:
            who.setdefault(r.decided_by, Counter())["approved" if r.state != "denied" else "denied"] += 1

    lines = [f"Drill {drill['scenario']} (incident #{incident.id}), started {start:%Y-%m-%d %H:%M:%S} UTC"
             + ("" if drill.get("sandbox") else f"; containment was dry-run only: {drill.get('dry_run_reason')}"),
             f"Time to acknowledge: {_against(times['acknowledge'], sla.get('acknowledge_minutes', 15))}",
             f"Time to first containment: {_against(times['first_containment'], sla.get('first_containment_minutes', 30))}",
             f"Time to containment verified: {_against(times['contained'], sla.get('contained_minutes', 60))}"]
    lines += [f"Expected {r['action']} {r['target']}: {r['outcome']}" for r in results] or ["Expected containment: none"]
    if unexpected:
        lines.append("Not expected: " + "; ".join(unexpected))
    wanted = drill.get("expected_steps", 0)
    lines.append(f"Playbook {incident.playbook or drill.get('expected_playbook') or 'none'}: {done_steps} of "
                 f"{total_steps} steps ticked" + (f" (expected at least {wanted})" if wanted else ""))
    lines += [f"{person(actor)}: " + ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in sorted(counts.items()))
              for actor, counts in who.items()] or ["Nobody acted on the incident."]
    return {"times": {k: (v.total_seconds() if v is not None else None) for k, v in times.items()},
            "expected": results, "unexpected": unexpected, "steps": {"done": done_steps, "total": total_steps},
            "who": {p: dict(c) for p, c in who.items()}, "lines": lines}
