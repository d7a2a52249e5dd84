"""The plan, read again right before an approved request runs.

Between the card and the run the target may have reached the wanted state (another request,
a person at the console). Running then would change nothing useful, and would record the
state Firebreak (or someone) just made as the "original" that an undo puts back. So the run
re-plans first; a target already in place finishes as "already done": no change, no undo."""

from __future__ import annotations

from core.containment.catalog import AwsCallRecorder, Catalog, Job, Plan


def already_in_place(catalog: Catalog, job: Job, record: AwsCallRecorder) -> Plan | None:
    """The fresh plan when it says nothing is left to do; None when the run should go ahead.
    An undo is not re-planned here: it puts back what its original remembered."""
    if job.undo:
        return None
    plan = catalog.plan(job, record)
    return plan if plan.already_done else None


def summary(plan: Plan) -> str:
    """What the card's result says: the target as the fresh plan found it."""
    return "Already in place when it was to run, nothing changed: " + "; ".join(plan.changes or plan.current)
