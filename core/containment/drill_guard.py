"""Drill containment acts only in the AWS sandbox. Anywhere else a drill's request becomes a
dry run with the reason on its card, planned without a single AWS call (not even a read):
a drill never reaches a real account."""

from __future__ import annotations

from core.containment.catalog import Job, Plan
from core.containment.ports import Sandbox
from core.incidents.model import Incident
from core.services import Services


def sandbox_problem(sandbox: Sandbox, account: str | None = None) -> str | None:
    """Why drill containment may not act for real here (None: it acts, in the sandbox)."""
    reason = sandbox.not_in_use()  # core.nulls.NoSandbox: "no AWS sandbox is in use in this process"
    if reason:
        return reason
    if account and str(account) != sandbox.account:
        return f"account {account} is not the sandbox's ({sandbox.account})"
    return None


def drill_guard(services: Services, incident: Incident, job: Job) -> str | None:
    """None when the request may act (not a drill, or a drill in the sandbox); else the reason."""
    if not incident.is_drill:
        return None
    problem = sandbox_problem(services.sandbox, job.account)
    return f"drill: forced to dry-run because {problem}" if problem else None


def forced_plan(job: Job, reason: str) -> Plan:
    return Plan(account=job.account or "not the AWS sandbox", current=[f"Not looked up: {reason}."],
                changes=[f"Nothing will change ({reason})."], facts={})
