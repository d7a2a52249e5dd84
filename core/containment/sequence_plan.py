"""`/contain sequence`: one containment plan across the targets of an incident's GuardDuty
attack sequences.

The plan is made of ordinary requests, one per step (disable the compromised principals'
access keys, isolate the instances, block public access on the buckets), each planned with
its own read-only dry run, audited, and undoable like any request. What is new is only that
they are decided together: a second person approves (or denies) the whole plan once, after
every step's approver rule was checked, so nothing is half approved. The steps then run one
by one; the plan's one card follows their progress (the requests get no cards of their own).

The plan is derived from the sequences each time (steps keyed by incident, action and
target), so proposing it again shows the same requests, never duplicates."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from core.containment import executor, flow, rules
from core.containment.model import APPROVED, REQUESTED, ContainRequest
from core.containment.parse import command_for
from core.errors import FirebreakError, InvalidTransition, UsageError
from core.events import ContainmentDecided, publish
from core.findings import sequences
from core.findings.ports import StoredFinding
from core.incidents import service as incidents
from core.incidents.model import Incident
from core.services import Services

USAGE = "/contain sequence [--incident N] [--dry-run]"


@dataclass(frozen=True)
class Step:
    action: str
    target: str
    request: ContainRequest | None  # None: it could not be planned (`problem` says why)
    problem: str | None = None


@dataclass(frozen=True)
class SequencePlan:
    incident: Incident
    sequences: tuple[str, ...]  # the attack sequences' finding ids
    steps: tuple[Step, ...]

    @property
    def waiting(self) -> list[ContainRequest]:
        return [s.request for s in self.steps if s.request is not None and s.request.state == REQUESTED]

    @property
    def decidable(self) -> bool:
        return bool(self.waiting)


def parse(args: tuple[str, ...] | list[str]) -> tuple[str | None, bool]:
    """The words after `/contain sequence`: (--incident ref, --dry-run)."""
    ref, dry_run, words = None, False, list(args)
    while words:
        word = words.pop(0)
        if word == "--dry-run":
            dry_run = True
        elif word == "--incident" and words and words[0].lstrip("#").isdigit():
            ref = words.pop(0).lstrip("#")
        else:
            raise UsageError(f"`/contain sequence` does not take “{word[:40]}”.", USAGE)
    return ref, dry_run


def propose(services: Services, *, actor: str, channel: str | None, ref: str | None,
            dry_run: bool = False) -> SequencePlan:
    """Plan every step (read-only calls) and store each as a request awaiting the plan's approval."""
    incident = incidents.find(services, actor=actor, channel=channel, ref=ref, how_to_name="`--incident 42`")
    rules.require_requester(services.config.containment, services.config.access.responders, actor,
                            services.directory)
    found = _sequences(services, incident)
    steps = []
    for action, target, finding in _targets(found):
        try:
            command = command_for(action, target, incident=str(incident.id), region=finding.region,
                                  account=finding.account)
            request = flow.request(services, services.catalog, actor=actor, channel=channel,
                                   command=dataclasses.replace(command, dry_run=dry_run),
                                   dedup_key=_key(incident, action, target))
            steps.append(Step(action, target, request))
        except FirebreakError as exc:  # this step cannot be planned (gone, refused): the others still can
            steps.append(Step(action, target, None, exc.message))
    for step in steps:  # containment.auto_approve (opt-in) names actions that need no second person
        if step.request is not None and step.request.state == APPROVED:
            executor.execute(services, services.catalog, step.request.id)
    plan = current(services, incident.id) if any(s.request and s.request.state == APPROVED for s in steps) \
        else SequencePlan(incident, tuple(f.finding_id for f in found), tuple(steps))
    labels = ", ".join(s.request.label for s in plan.steps if s.request) or "none"
    services.incidents.add_timeline(
        incident.id, kind="containment", at=services.clock.now(), actor=actor,
        text=f"Containment plan for attack sequence {', '.join(plan.sequences)}: {len(plan.steps)} steps "
             f"({labels})", data={"sequence_plan": [list(p) for p in _plan_keys(plan)]},
        dedup_key=f"sequence-plan:{incident.id}:{labels}"[:200])
    return plan


def current(services: Services, incident_id: int) -> SequencePlan:
    """The plan as stored now: its requests looked up by their keys, nothing new requested."""
    incident = services.incidents.get(incident_id)
    if incident is None:
        raise UsageError(f"There is no incident #{incident_id}.")
    found = _sequences(services, incident)
    steps = []
    for action, target, _ in _targets(found):
        request = services.repos.containment.by_key(_key(incident, action, target))
        steps.append(Step(action, target, request, None if request else "not planned (propose the plan again)"))
    return SequencePlan(incident, tuple(f.finding_id for f in found), tuple(steps))


def decide(services: Services, incident_id: int, *, actor: str, approve: bool,
           progress: Callable[[SequencePlan], None] = lambda plan: None) -> SequencePlan:
    """Approve (and run, step by step) or deny every step still waiting, as one decision."""
    plan = current(services, incident_id)
    waiting = plan.waiting
    if not waiting:
        raise InvalidTransition("No step of this plan is waiting for a decision.")
    if approve:  # every step's approver rule first: a refusal leaves nothing half approved
        cfg, responders = services.config.containment, services.config.access.responders
        for request in waiting:
            severity = request.plan.get("severity") or plan.incident.severity
            rules.require_approver(cfg, responders, approver=actor, requester=request.requested_by,
                                   action=request.action, severity=severity, directory=services.directory)
    decided = []
    for request in waiting:
        try:
            decided.append(flow.decide(services, request.id, actor=actor, approve=approve,
                                       note=None if approve else "denied with its containment plan"))
        except InvalidTransition:  # decided meanwhile (expired, or its own card): the rest still count
            continue
        publish(services, ContainmentDecided(decided[-1], approve, actor))
    progress(current(services, incident_id))
    if approve:
        for request in decided:
            executor.execute(services, services.catalog, request.id)
            progress(current(services, incident_id))
    return current(services, incident_id)


def _key(incident: Incident, action: str, target: str) -> str:
    return f"sequence-plan:{incident.id}:{action}:{target}"[:200]


def _plan_keys(plan: SequencePlan) -> list[tuple[str, str]]:
    return [(s.action, s.target) for s in plan.steps]


def _sequences(services: Services, incident: Incident) -> list[StoredFinding]:
    linked = [services.repos.findings.by_finding_id(f.finding_id) for f in services.repos.findings.linked(incident.id)
              if sequences.is_sequence(f.type)]
    found = [f for f in linked if f is not None and sequences.read(f.raw) is not None]
    if not found:
        raise UsageError(f"Incident {incident.label} has no GuardDuty attack sequence: `/contain sequence` plans "
                         "across an attack sequence's targets. Use `/contain <action> <target>` for one target.", USAGE)
    return found


def _targets(found: list[StoredFinding]) -> list[tuple[str, str, StoredFinding]]:
    """(action, target, the sequence it came from), once each, in a stable order: access keys
    of the compromised principals, then instances, then buckets."""
    steps: dict[tuple[str, str], StoredFinding] = {}
    for finding in found:
        sequence = sequences.read(finding.raw)
        keys = sequence.targets("AwsIamAccessKey") + [a.name for a in sequence.actors
                                                      if a.name and a.name[:4] in ("AKIA", "ASIA")]
        for key in keys:
            steps.setdefault(("disable-access-key", key), finding)
        for instance in sequence.targets("AwsEc2Instance"):
            steps.setdefault(("isolate-instance", instance.rsplit("/", 1)[-1]), finding)
        for bucket in sequence.targets("AwsS3Bucket"):
            steps.setdefault(("block-public-s3", bucket.rsplit(":", 1)[-1]), finding)
    order = {"disable-access-key": 0, "isolate-instance": 1, "block-public-s3": 2}
    return [(action, target, finding) for (action, target), finding in
            sorted(steps.items(), key=lambda item: order[item[0][0]])]
