"""Running a response drill: declare the drill incident, deliver the scenario's findings
through the one intake path (origin "drill") on their schedule, keep drill containment in
the sandbox, and score the response when the drill ends.

The drill's state lives on the incident (`Incident.drill`), changed under its row lock, so
the clock, `bot.py drill run` and a replica can all deliver due findings without doubling
any (a finding is claimed before it is delivered, and intake dedups by finding id)."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from core.incidents import service as incidents
from core.access import require_responder
from core.drills import scorecard
from core.containment.drill_guard import sandbox_problem
from core.drills.loader import fill
from core.drills.model import Scenario
from core.errors import ConfigError, InvalidTransition, NotFound, UsageError
from core.events import IncidentChanged
from core.findings import triage
from core.findings.intake import Document, receive
from core.findings.normalize import normalize
from core.incidents import lifecycle
from core.incidents.model import ACTIVE_PHASES, Incident, Mutation
from core.playbooks import runtime as playbooks
from core.incidents.ports import ChatError
from core.services import Services

log = logging.getLogger("firebreak.drills")
USAGE = "/incident drill <scenario> | list | end"
DRILL_TAG = "[DRILL]"


def scenarios(services: Services) -> Mapping[str, Scenario]:
    """The scenarios the root loaded at start; broken files are named, not half-used."""
    if services.drills.problems:
        raise ConfigError(list(services.drills.problems))
    return services.drills.scenarios


def listing(services: Services) -> list[str]:
    """One line per scenario: its name, then its description."""
    return [f"{s.name}  {s.description}" for s in scenarios(services).values()]


def start(services: Services, name: str, *, actor: str, origin_channel: str | None = None) -> Incident:
    """Declare the drill incident and deliver the findings due at once; the rest follow on
    the clock (`deliver_due`)."""
    require_responder(actor, services.config.access.responders, services.directory)
    found = scenarios(services)
    scenario = found.get(name)
    if scenario is None:
        raise NotFound(f"There is no drill scenario “{name[:60]}”; scenarios: {', '.join(sorted(found)) or 'none'}.")
    now = services.clock.now()
    run = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    values = dict(services.sandbox.placeholders())
    values.setdefault("account", "123456789012")
    values.setdefault("region", services.config.aws.default_region)
    values["run"] = run
    problem = sandbox_problem(services.sandbox)
    audiences = services.config.communications.audiences
    if scenario.test_audience and scenario.test_audience not in audiences:
        raise ConfigError([f"drill {scenario.name}: test_audience {scenario.test_audience} is not one of "
                           f"communications.audiences ({', '.join(sorted(audiences)) or 'none configured'})"])
    schedule = [{"index": i, "due": (now + f.offset).isoformat(), "document": json.dumps(f.document)}
                for i, f in enumerate(scenario.findings)]
    expected = [{"action": a.action, "target": fill(a.target, values)} for a in scenario.expected.containment]
    drill = {"scenario": scenario.name, "run": run, "started_by": actor, "started_at": now.isoformat(),
             "values": values, "pending": schedule, "delivered": [], "expected": expected,
             "expected_playbook": scenario.expected.playbook, "expected_steps": scenario.expected.playbook_steps,
             "sla": scenario.sla.model_dump(), "sandbox": problem is None, "dry_run_reason": problem,
             "test_audience": scenario.test_audience}
    types = [normalize(json.loads(fill(json.dumps(f.document), values)),
                       services.detection_rules).findings for f in scenario.findings[:1]]
    declared = incidents.declare(
        services, title=f"Drill: {scenario.title}", declared_by=actor, severity=scenario.severity,
        category=scenario.category, origin_channel=origin_channel, dedup_key=f"drill:{run}",
        finding_types=[f.type for batch in types for f in batch], automated=True, drill=drill)
    incident = declared.incident
    where = ("in the AWS sandbox" if problem is None
             else f"as dry runs only: {problem}")
    services.incidents.add_timeline(incident.id, kind="drill", actor=actor, at=now,
                                    text=f"Drill started: {scenario.name} by {actor}; containment acts {where}",
                                    data={"scenario": scenario.name, "run": run}, dedup_key=f"drill:{run}:start")
    if incident.channel_id:
        try:
            services.chat.invite(incident.channel_id, [actor])
            services.chat.notify(incident.channel_id,
                                 f"{DRILL_TAG} This is a drill ({scenario.name}): {scenario.description} "
                                 f"{_arrival(scenario)}; containment acts {where}. "
                                 "End it with /incident drill end (or /incident resolve) for the scorecard.")
        except ChatError as exc:
            log.warning("drill %s: could not brief the channel: %s", run, exc.message)
    if scenario.expected.playbook and incident.playbook is None and scenario.expected.playbook in services.playbooks:
        incident = playbooks.attach(services, incident, scenario.expected.playbook, actor, automated=True)
    deliver_due(services, incident.id)
    return services.incidents.get(incident.id)


def deliver_due(services: Services, incident_id: int | None = None) -> int:
    """Deliver every drill finding whose time has come (the clock runs this); how many."""
    targets = ([services.incidents.get(incident_id)] if incident_id is not None
               else [i for i in services.incidents.recent(200, open_only=True) if i.is_drill])
    delivered = 0
    for incident in targets:
        if incident is None or not incident.drill.get("pending"):
            continue
        for item in _claim(services, incident.id):
            delivered += _deliver(services, incident, item)
    return delivered


def _claim(services: Services, incident_id: int) -> list[dict]:
    claimed: list[dict] = []

    def decide(current: Incident, at: datetime) -> Mutation:
        drill = dict(current.drill)
        due = [p for p in drill.get("pending", []) if datetime.fromisoformat(p["due"]) <= at]
        if not due or current.phase == "closed":
            return Mutation()
        claimed.extend(due)
        drill["pending"] = [p for p in drill["pending"] if p not in due]
        drill["delivered"] = [*drill.get("delivered", []), *({"index": p["index"], "at": at.isoformat()} for p in due)]
        return Mutation(changes={"drill": drill})

    services.incidents.mutate(incident_id, decide, services.clock.now)
    return claimed


def _deliver(services: Services, incident: Incident, item: dict) -> int:
    values = {**incident.drill.get("values", {}), "at": services.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    document = _tagged(json.loads(fill(item["document"], values)))
    ids = [f.id for f in normalize(document, services.detection_rules).findings]
    receive(services, [Document(document, f"drill:{incident.drill.get('run')}:{item['index']}")], origin="drill")
    actor = incident.drill.get("started_by")
    for finding_id in ids:
        stored = services.repos.findings.by_finding_id(finding_id)
        if stored is None or stored.incident_id is not None:
            continue
        try:
            triage.link_to_incident(services, stored.pk, incident.id, actor)
        except (InvalidTransition, NotFound) as exc:
            log.warning("drill finding %s not linked to incident %s: %s", finding_id, incident.id, exc.message)
    return len(ids)


def _tagged(document: dict) -> dict:
    """Findings of a drill say so wherever they are shown (triage channel included)."""
    for holder in (document, document.get("detail") if isinstance(document.get("detail"), dict) else None):
        if holder is None:
            continue
        for key in ("title", "Title"):
            if isinstance(holder.get(key), str) and not holder[key].startswith(DRILL_TAG):
                holder[key] = f"{DRILL_TAG} {holder[key]}"
    return document


def end(services: Services, *, actor: str, channel: str | None, ref: str | None = None) -> Ended:
    """`/incident drill end`: resolve the drill incident (which resolves the pages it opened and
    ends its reminders and SLA escalations, as for any resolved incident) and score it. Ending
    it again answers with the scorecard it has."""
    incident = incidents.find(services, actor=actor, channel=channel, ref=ref, how_to_name="`/incident drill end 42`")
    if not incident.is_drill:
        raise UsageError(f"Incident {incident.label} is not a drill.", USAGE)
    already = bool(incident.drill.get("scorecard")) and incident.phase not in ACTIVE_PHASES
    if incident.phase in ACTIVE_PHASES:
        cfg = services.config.incidents
        incident, _ = incidents.apply(services, incident.id, lambda current, at: (
            lifecycle.resolve(cfg, current, actor, at, reason="drill ended") if current.phase in ACTIVE_PHASES
            else Mutation()), actor=actor)
    incident, lines = finish(services, services.incidents.get(incident.id) or incident, actor=actor)
    return Ended(incident, lines, already)


@dataclass(frozen=True)
class Ended:
    incident: Incident
    lines: list[str]
    already: bool  # it had ended before this command


def finish(services: Services, incident: Incident, *, actor: str | None) -> tuple[Incident, list[str]]:
    """Score the drill once: stored on the incident, on its timeline, posted in its channel."""
    if incident.drill.get("scorecard"):
        return incident, incident.drill["scorecard"]["lines"]
    card = scorecard.build(services, incident)

    def decide(current: Incident, at: datetime) -> Mutation:
        if current.drill.get("scorecard"):
            return Mutation()
        drill = {**current.drill, "scorecard": {**card, "ended_at": at.isoformat(), "ended_by": actor},
                 "pending": []}
        return Mutation(changes={"drill": drill}).note("drill", actor, "Drill ended; scorecard:\n"
                                                       + "\n".join(card["lines"]), scenario=current.drill["scenario"],
                                                       people=sorted(card["who"]))

    updated, entries = services.incidents.mutate(incident.id, decide, services.clock.now)
    if entries and updated.channel_id:
        try:
            services.chat.notify(updated.channel_id, f"{DRILL_TAG} Drill scorecard\n" + "\n".join(card["lines"]),
                                 mentions=tuple(card["who"]))  # people by name, not as {@U…} tokens
        except ChatError as exc:
            log.warning("drill scorecard of incident %s not posted: %s", incident.id, exc.message)
    return updated, updated.drill["scorecard"]["lines"]


def on_changed(services: Services, incident: Incident, actor: str | None) -> None:
    """After any change: a drill that reached post-incident (resolved) gets its scorecard."""
    if incident.is_drill and incident.phase in ("post-incident", "closed") and not incident.drill.get("scorecard"):
        finish(services, incident, actor=actor)


def on_incident_changed(services: Services, event: IncidentChanged) -> None:
    """Subscriber: a phase change of a drill incident may end it (scorecard)."""
    if event.incident.is_drill and event.phase_changed:
        on_changed(services, event.incident, event.actor)


def _arrival(scenario) -> str:
    """`Findings arrive over 5 min`, `The finding arrives at once`, as the scenario has it."""
    count, seconds = len(scenario.findings), int(scenario.duration.total_seconds())
    subject = "The finding arrives" if count == 1 else f"{count} findings arrive" if count else "No findings arrive"
    if seconds == 0 or count < 2:
        return f"{subject} at once" if seconds == 0 else f"{subject} after {_human(scenario.duration)}"
    return f"{subject} over {_human(scenario.duration)}"


def _human(delta: timedelta) -> str:
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    return f"{minutes} min" if minutes else f"{seconds} s"
