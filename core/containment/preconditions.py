"""Preconditions a response action states in its plan and core checks before any AWS call:
delete a key only once evidence is recorded, lift an isolation only while one is in
effect. Each check reads this incident's own requests, so the answer is the same in chat,
playbooks and drills, and an unmet one is refused with what to do first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from core.containment.model import SUCCEEDED, ContainRequest


@dataclass(frozen=True)
class Check:
    name: str
    met: bool
    text: str  # shown in the plan when met, in the refusal when not
    facts: dict = field(default_factory=dict)  # what the action needs from it at run time


def _evidence_recorded(requests: list[ContainRequest], action: str, target: str) -> Check:
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


def _isolated(requests: list[ContainRequest], action: str, target: str) -> Check:
    """An isolation of this instance by this incident is in effect (it is what gets lifted)."""
    live = [r for r in requests if r.action == "isolate-instance" and r.target == target and r.state == SUCCEEDED
            and not r.is_undo]
    if not live:
        return Check("isolated", False, f"{action} needs an isolation of {target} in effect in this incident "
                                        "(`/contain status` lists them); there is nothing to lift.")
    isolation = live[-1]
    return Check("isolated", True, f"isolation in place: {isolation.label} since "
                                   f"{isolation.finished_at:%Y-%m-%d %H:%M} UTC" if isolation.finished_at
                 else f"isolation in place: {isolation.label}",
                 {"ends_request": isolation.id, "isolation": isolation.memory})


CHECKS: dict[str, Callable[[list[ContainRequest], str, str], Check]] = {
    "evidence-recorded": _evidence_recorded,
    "isolated": _isolated,
}


def check(names: tuple[str, ...], requests: list[ContainRequest], action: str, target: str) -> list[Check]:
    return [CHECKS[name](requests, action, target) for name in names]
