"""Preconditions a response action states in its plan and core checks before any AWS call:
delete a key only once evidence is recorded, lift an isolation only while one is in
effect and only once the incident reached eradication. Each check reads this incident's own
requests (and its phase), so the answer is the same in chat, playbooks and drills, and an
unmet one is refused with what to do first.

Some actions also need facts only core has, whatever they are: replace-instance the groups
an instance had before this incident isolated it, restore-bucket-policy the incident's
declaration time and a policy an earlier request remembered. Those are GATHERED for the
action (always met; their text is shown in the plan like a met precondition)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.containment.model import SUCCEEDED, UNDONE, ContainRequest
from core.incidents.model import Incident


@dataclass(frozen=True)
class Check:
    name: str
    met: bool
    text: str  # shown in the plan when met, in the refusal when not
    facts: dict = field(default_factory=dict)  # what the action needs from it at run time


def _evidence_recorded(requests: list[ContainRequest], action: str, target: str,
                       incident: Incident | None = None) -> Check:
    """Evidence of this incident was collected; for an instance, evidence of that instance."""
    done = [r for r in requests if r.family.command == "evidence" and r.state == SUCCEEDED]
    if target.startswith("i-"):
        done = [r for r in done if r.target == target]
    if done:
        return Check("evidence-recorded", True,
                     "evidence recorded first: " + ", ".join(f"{r.label} {r.action} {r.target}" for r in done[:3]))
    what = f"`/evidence collect-disk {target}` or `/evidence collect-instance-data {target}`" \
        if target.startswith("i-") else "`/evidence collect-logs <principal>` (or another `/evidence` action)"
    return Check("evidence-recorded", False, f"{action} needs evidence recorded first: run {what}, "
                                             "then ask again.")


def _live_isolations(requests: list[ContainRequest], target: str) -> list[ContainRequest]:
    return [r for r in requests if r.action == "isolate-instance" and r.target == target and r.state == SUCCEEDED
            and not r.is_undo]


def _isolated(requests: list[ContainRequest], action: str, target: str, incident: Incident | None = None) -> Check:
    """An isolation of this instance by this incident is in effect (it is what gets lifted)."""
    live = _live_isolations(requests, target)
    if not live:
        return Check("isolated", False, f"{action} needs an isolation of {target} in effect in this incident "
                                        "(`/contain status` lists them); there is nothing to lift.")
    isolation = live[-1]
    return Check("isolated", True, f"isolation in place: {isolation.label} since "
                                   f"{isolation.finished_at:%Y-%m-%d %H:%M} UTC" if isolation.finished_at
                 else f"isolation in place: {isolation.label}",
                 {"ends_request": isolation.id, "isolation": isolation.memory})


ERADICATION_OR_LATER = ("eradication", "recovery")


def _eradicated(requests: list[ContainRequest], action: str, target: str, incident: Incident | None = None) -> Check:
    """The incident reached eradication: the threat is gone, so lifting containment is recovery,
    not letting the attacker back in."""
    phase = incident.phase if incident is not None else None
    if phase in ERADICATION_OR_LATER:
        return Check("eradicated", True, f"incident in {phase}: the threat was eradicated first")
    return Check("eradicated", False, f"{action} is a recovery step: move the incident to eradication once the "
                                      f"threat is removed (`/incident phase eradication`; it is in {phase or 'an unknown phase'} "
                                      "now), then ask again.")


def _pre_isolation(requests: list[ContainRequest], action: str, target: str,
                   incident: Incident | None = None) -> Check:
    """Gathered for replace-instance: the groups the instance had before this incident
    isolated it, so a replacement never copies the isolation group (the isolation stays)."""
    live = _live_isolations(requests, target)
    if not live:
        return Check("pre-isolation", True, f"{target} is not isolated by this incident")
    isolation = live[-1]
    return Check("pre-isolation", True, f"{target} is isolated by {isolation.label}: the replacement gets the "
                                        "security groups from before the isolation (the original stays isolated)",
                 {"isolation": isolation.memory, "isolation_request": isolation.label})


def _earlier_policy(requests: list[ContainRequest], action: str, target: str,
                    incident: Incident | None = None) -> Check:
    """Gathered for restore-bucket-policy: when the incident was declared (AWS Config's history
    is asked for the policy before then), and the policy an earlier block-public-s3 of this
    bucket in this incident saw (after the incident began, so shown with that caution)."""
    facts: dict = {"declared_at": incident.declared_at.isoformat()} if incident is not None else {}
    seen = [r for r in requests if r.action == "block-public-s3" and r.target == target and not r.is_undo
            and r.state in (SUCCEEDED, UNDONE) and "policy" in (r.memory or {})]
    if seen:
        facts["remembered"] = {"policy": seen[0].memory["policy"], "by": seen[0].label,
                               "at": seen[0].finished_at.isoformat() if seen[0].finished_at else None}
    when = f"the declaration at {incident.declared_at:%Y-%m-%d %H:%M} UTC" if incident is not None else "the declaration"
    text = (f"the policy to restore: AWS Config's history before the compromise (the earliest linked finding's "
            f"first-seen, else {when})") + (
        f"; as {seen[0].label} block-public-s3 found it only with --config-item remembered" if seen else "")
    return Check("earlier-policy", True, text, facts)


CHECKS: dict[str, Callable[..., Check]] = {
    "evidence-recorded": _evidence_recorded,
    "isolated": _isolated,
    "eradicated": _eradicated,
}
# Facts gathered for an action whatever its preconditions (never refused, shown in the plan).
GATHERED: dict[str, tuple[Callable[..., Check], ...]] = {
    "replace-instance": (_pre_isolation,),
    "restore-bucket-policy": (_earlier_policy,),
}


def check(names: tuple[str, ...], requests: list[ContainRequest], action: str, target: str,
          incident: Incident | None = None) -> list[Check]:
    return [CHECKS[name](requests, action, target, incident) for name in names] + [
        gather(requests, action, target, incident) for gather in GATHERED.get(action, ())]
