"""Runs approved requests exactly once, and recovers after a crash.

A run takes the request's execution lease, then claims it (approved → executing, a
conditional update only one caller wins), calls the catalog, and records the verdict only
if the request is still executing. Recovery never re-runs blindly: a request left
executing with no live holder is marked failed-unknown; an approved one is resumed."""

from __future__ import annotations

import logging
import secrets

from core.containment import recheck, seals
from core.containment.catalog import Catalog, Job
from core.containment.flow import not_now, store, timeline
from core.containment.model import (ALREADY, APPROVED, EXECUTING, FAILED, SUCCEEDED, UNDONE, UNKNOWN,
                                    ContainRequest)
from core.errors import FirebreakError
from core.events import ContainmentFinished, publish
from core.services import Services

log = logging.getLogger("firebreak.containment")
INTERRUPTED = ("Firebreak stopped while this action was running, so its result is unknown. It is not re-run "
               "automatically: check the resource, then request the action again (its plan shows the state now).")


def execute(services: Services, catalog: Catalog, request_id: int) -> ContainRequest | None:
    """Run an approved request; None when another click, replica or sweep already took it."""
    requests = store(services)
    with services.repos.leases.hold(request_id):
        if not requests.claim(request_id, services.clock.now()):
            return None
        request = requests.get(request_id)
        if (why := seals.forged(services, request, requests.get(request.undo_of) if request.is_undo else None)):
            return _refuse_forged(services, request, why)
        if (why := not_now(services, request, services.incidents.get(request.incident_id))):
            requests.record(request.id, {"event": "refused", "reason": why}, services.clock.now())
            return _finish(services, request, FAILED, error=f"Not run: {why}")
        try:  # the plan read again: a target already in place is not changed, and leaves no undo
            fresh = recheck.already_in_place(catalog, _job(services, request), _recorder(services, request_id))
        except FirebreakError as exc:
            return _finish(services, request, FAILED, error=exc.message, error_code=getattr(exc, "code", None))
        if fresh is not None:
            return _finish(services, request, ALREADY, outcome={"summary": recheck.summary(fresh), "checks": [],
                                                                "verified": True})
        ended = _ends(request)
        if ended is not None and not requests.move(ended, SUCCEEDED, {"state": UNDONE},
                                                   {"event": "undoing", "by": request.id}, services.clock.now()):
            return _finish(services, request, FAILED, error=f"Request {ended} is no longer in effect "
                                                            "(already undone or never succeeded).")
        try:
            outcome = catalog.apply(_job(services, request), _recorder(services, request_id))
        except FirebreakError as exc:  # ActionFailed or an AWS refusal: the message names the code
            return _failed(services, request, FAILED, exc.message, getattr(exc, "code", None))
        except Exception:  # noqa: BLE001 - an unexpected error leaves the resource in an unknown state
            error_id = secrets.token_hex(4)
            log.exception("containment C%s failed unexpectedly (error id %s)", request_id, error_id)
            return _failed(services, request, UNKNOWN, f"Unexpected error (id {error_id}) during the action; "
                                                       "check the resource before trying again.", None)
        done = _finish(services, request, SUCCEEDED, memory=outcome.memory,
                       memory_seal=seals.sign_memory(services, request.id, outcome.memory),
                       outcome={"summary": outcome.summary, "checks": [list(c) for c in outcome.checks],
                                "verified": outcome.verified})
        return done


def recover(services: Services, catalog: Catalog) -> list[ContainRequest]:
    """After a restart (and periodically): settle abandoned runs, resume approved requests."""
    requests, leases, changed = store(services), services.repos.leases, []
    for request in requests.in_states(EXECUTING):
        if not leases.held(request.id) and requests.finish(
                request.id, {"state": UNKNOWN, "error": INTERRUPTED}, {"event": UNKNOWN}, services.clock.now()):
            timeline(services, request, f"{request.family.label} interrupted, result unknown: {request.title} "
                                        f"({request.label})", None, UNKNOWN)
            changed.append(interrupted := requests.get(request.id))
            publish(services, ContainmentFinished(interrupted))
    for request in requests.in_states(APPROVED):
        if (done := execute(services, catalog, request.id)) is not None:
            changed.append(done)
    return changed


def _ends(request: ContainRequest) -> int | None:
    """The request this one takes out of effect: the one it undoes, or (lift-isolation) the
    isolation its precondition found. Claimed atomically, so two cannot end the same one."""
    if request.is_undo:
        return request.undo_of
    return (request.plan.get("preconditions") or {}).get("ends_request")


def _job(services: Services, request: ContainRequest) -> Job:
    memory = store(services).get(request.undo_of).memory if request.is_undo else {}
    return Job(request.action, request.target, request.options, request.account, request.region,
               request.incident_id, request.id, undo=request.is_undo, memory=memory,
               context={**request.plan.get("facts", {}), **(request.plan.get("preconditions") or {})})


def _recorder(services: Services, request_id: int):
    """Each AWS call goes to the audit chain as it happens, so a crash loses none of them."""
    requests = store(services)
    return lambda call: requests.record(request_id, {"event": "aws-call", **call}, services.clock.now())


def _refuse_forged(services: Services, request: ContainRequest, why: str) -> ContainRequest:
    """Nothing runs: the refusal goes on the audit chain, and the request fails saying why."""
    log.error("containment %s refused: %s", request.label, why)
    store(services).record(request.id, {"event": "refused-forged", "action": request.action,
                                        "target": request.target, "reason": why}, services.clock.now())
    return _finish(services, request, FAILED, error=f"Refused: {why} (FIREBREAK_AUDIT_KEY's MAC does not "
                                                    "verify; the row was written or changed outside Firebreak). "
                                                    "Nothing was run; request the action again.")


def _failed(services: Services, request: ContainRequest, verdict: str, message: str,
            code: str | None) -> ContainRequest:
    if _ends(request) is not None:  # the original is still in effect
        store(services).move(_ends(request), UNDONE, {"state": SUCCEEDED}, {"event": "undo-failed",
                                                                           "by": request.id},
                             services.clock.now())
    return _finish(services, request, verdict, error=message, error_code=code)


def _finish(services: Services, request: ContainRequest, verdict: str, **changes) -> ContainRequest:
    store(services).finish(request.id, {"state": verdict, **changes},
                           {"event": verdict, "code": changes.get("error_code"), "error": changes.get("error"),
                            "verified": (changes.get("outcome") or {}).get("verified")}, services.clock.now())
    done = store(services).get(request.id)
    word = {SUCCEEDED: "done", FAILED: "failed", UNKNOWN: "result unknown", ALREADY: "already done"}[verdict]
    detail = f" — {done.error_code or done.error}" if verdict not in (SUCCEEDED, ALREADY) else ""
    # `verified` and `undo_of` let response metrics decide "contained" from the timeline alone.
    services.incidents.add_timeline(
        done.incident_id, kind=done.family.timeline,
        text=f"{done.family.label} {word}: {done.title} ({done.label}){detail}",
        at=services.clock.now(), actor=done.decided_by, dedup_key=f"containment:{done.id}:{verdict}",
        data={"request": done.id, "step": verdict, "undo_of": _ends(done), "action": done.action,
              "verified": bool((done.outcome or {}).get("verified")) if verdict == SUCCEEDED else False})
    publish(services, ContainmentFinished(done))  # e.g. what an evidence action collected goes into the manifest
    return done
