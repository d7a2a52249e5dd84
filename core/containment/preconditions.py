"""Preconditions a response action states in its plan and core checks before any AWS call:
delete a key only once evidence is recorded, lift an isolation only while one is in
effect and only once the incident reached eradication. Each check reads this incident's own
requests (and its phase), so the answer is the same in chat, playbooks and drills, and an
unmet one is refused with what to do first.

`unmet` is the one check, run when a request is made, when it is approved and when it is
executed (the phase or the evidence may have changed in between). Undoing an isolation gives
the instance its groups back, exactly what lift-isolation does, so it needs lift-isolation's
preconditions (UNDONE_AS).

Some actions also need facts only core has, whatever they are: replace-instance the groups
an instance had before this incident isolated it, restore-bucket-policy the incident's
declaration time and a policy an earlier request remembered. Those are GATHERED for the
action (always met; their text is shown in the plan like a met precondition)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.containment.catalog import SPECS
from core.containment.model import SUCCEEDED, UNDONE, ContainRequest
from core.incidents.model import Incident


@dataclass(frozen=True)
class Check:
    name: str
    met: bool
    text: str  # shown in the plan when met, in the refusal when not
    facts: dict = field(default_factory=dict)  # what the action needs from it at run time


def _names(principal: str) -> set[str]:
    """A principal as evidence may name it: as given, and an IAM ARN's last path part."""
    names = {principal}
    if principal.startswith("arn:") and "/" in principal:
        names.add(principal.rsplit("/", 1)[1])
    return names


def _principals_of_key(requests: list[ContainRequest], key: str) -> set[str]:
    """The IAM users this incident's requests found owning `key` (disable-access-key remembers
    it, delete-access-key's plan names it)."""
    found = set()
    for r in requests:
        if r.target == key:
            for user in ((r.memory or {}).get("user"), (r.plan.get("facts") or {}).get("user")):
                if isinstance(user, str) and user:
                    found |= _names(user)
    return found


def _evidence_recorded(requests: list[ContainRequest], action: str, target: str,
                       incident: Incident | None = None) -> Check:
    """Evidence of this incident was collected about the same target: that instance, that
    key or the IAM user owning it, that user or role. Evidence of something else of the
    incident does not count."""
    done = [r for r in requests if r.family.command == "evidence" and r.state == SUCCEEDED]
    about = _names(target)
    if target.startswith(("AKIA", "ASIA")):
        about |= _principals_of_key(requests, target)
    done = [r for r in done if _names(r.target) & about]
    if done:
        return Check("evidence-recorded", True,
                     "evidence recorded first: " + ", ".join(f"{r.label} {r.action} {r.target}" for r in done[:3]))
    if target.startswith("i-"):
        what = f"`/evidence collect-disk {target}` or `/evidence collect-instance-data {target}`"
    else:
        owners = sorted(about - {target})
        what = f"`/evidence collect-logs {owners[0] if owners else target}` (or another `/evidence` action on it)"
    return Check("evidence-recorded", False, f"{action} needs evidence recorded first, about {target} itself or "
                                             f"its principal: run {what}, then ask again.")


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


# An undo that does what another action does needs that action's preconditions.
UNDONE_AS = {"isolate-instance": "lift-isolation"}


def unmet(requests: list[ContainRequest], action: str, target: str, incident: Incident | None, *,
          undo: bool = False) -> list[Check]:
    """The one precondition check of a request (at request, approval and execution): the
    checks its action requires that do not hold now."""
    if undo and action not in UNDONE_AS:
        return []
    acting_as = UNDONE_AS[action] if undo else action
    checks = [CHECKS[name](requests, acting_as, target, incident) for name in SPECS[acting_as].requires]
    return [c for c in checks if not c.met]


def refusal(unmet_checks: list[Check], *, undo_of: str | None = None) -> str:
    """What the person is told when `unmet` found something."""
    lead = f"Undoing {undo_of} lifts an isolation, so it needs what lift-isolation needs: " if undo_of else ""
    return lead + " ".join(c.text for c in unmet_checks)
