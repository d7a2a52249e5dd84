"""Requesting, approving, denying and undoing response actions (containment, evidence,
remediation): the decisions and what is stored. Handlers call these after the ack and
render what they return."""

from __future__ import annotations

from datetime import timedelta

from core.incidents import service as incidents
from core.containment import duplicates, preconditions, rules, seals, state
from core.containment.catalog import SPECS, Catalog, Job, Plan
from core.containment.model import (ALREADY, APPROVED, OPEN_STATES, PLANNED, REQUESTED, SUCCEEDED,
                                    ContainRequest)
from core.containment.parse import ContainCommand
from core.containment.drill_guard import drill_guard, forced_plan
from core.errors import FirebreakError, InvalidTransition, NotFound, UsageError
from core.incidents.model import ACTIVE_PHASES, Incident
from core.containment.ports import ContainmentRepository
from core.services import Services

AUTO_APPROVER = "config:auto_approve"


def store(services: Services) -> ContainmentRepository:
    return services.repos.containment


def timeline(services: Services, request: ContainRequest, text: str, actor: str | None, step: str) -> None:
    """One entry per step of a request (keyed, so a replica or retry cannot double it); the
    entry's kind is the request's family, so metrics tell containment from evidence."""
    services.incidents.add_timeline(request.incident_id, kind=request.family.timeline, text=text, at=services.clock.now(),
                                    actor=actor, data={"request": request.id, "step": step},
                                    dedup_key=f"containment:{request.id}:{step}")


def request(services: Services, catalog: Catalog, *, actor: str, channel: str | None, command: ContainCommand,
            dedup_key: str | None) -> ContainRequest:
    """Check the action's preconditions, plan it (read-only AWS calls) and store the request
    awaiting approval."""
    incident = _incident(services, actor, channel, command.incident)
    existing = store(services).by_key(dedup_key) if dedup_key else None
    if existing is not None:
        return existing
    if incident.phase not in ACTIVE_PHASES:  # resolved, closed or cancelled: nothing left to contain
        ended = "cancelled" if incident.cancelled else "resolved" if incident.phase == "post-incident" else "closed"
        message = (f"Incident {incident.label} is {ended}, so no new response action is requested on it. If the "
                   "threat is back, `/incident reopen` it first; `/contain undo <request>` still reverses an "
                   "earlier action.")
        _refused(services, actor, command, incident, message)
        raise InvalidTransition(message)
    earlier = store(services).for_incident(incident.id)
    unmet = preconditions.unmet(earlier, command.action, command.target, incident)
    if unmet:
        message = preconditions.refusal(unmet)
        _refused(services, actor, command, incident, message)
        raise InvalidTransition(message)
    checks = preconditions.check(SPECS[command.action].requires, earlier, command.action, command.target, incident)
    account, region, where = _where(services, incident, command)
    met = {k: v for c in checks for k, v in c.facts.items()}
    job = Job(command.action, command.target, dict(command.options), account, region, incident.id,
              context={**_context(services, incident, command), **met})
    return _store_plan(services, catalog, job, actor=actor, incident=incident, dry_run=command.dry_run,
                       dedup_key=dedup_key, where=where, met=[c.text for c in checks], preconditions=met)


def _refused(services: Services, actor: str, command: ContainCommand, incident: Incident, message: str) -> None:
    store(services).record(None, {"event": "refused", "actor": actor, "action": command.action,
                                  "target": command.target, "incident": incident.id, "undo_of": None,
                                  "error": message, "code": None, "calls": []}, services.clock.now())


def undo(services: Services, catalog: Catalog, *, actor: str, command: ContainCommand,
         dedup_key: str | None) -> ContainRequest:
    """Ask to reverse a succeeded request; it needs an approval like any other request."""
    original = store(services).get(command.request_id)
    if original is None:
        raise NotFound(f"There is no request {command.request_id} to undo.")
    incident = _incident(services, actor, None, str(original.incident_id))
    existing = store(services).by_key(dedup_key) if dedup_key else None
    if existing is not None:
        return existing
    if original.is_undo or not SPECS[original.action].undoable:
        raise UsageError(f"{original.title} cannot be undone by Firebreak"
                         + (" (snapshots are evidence: delete them by hand if you must)."
                            if original.action == "snapshot-instance" else
                            " (evidence is kept: `/evidence list` shows where, under Object Lock)."
                            if original.family.command == "evidence" else "."))
    if original.state != SUCCEEDED:
        raise InvalidTransition(f"Only a succeeded request can be undone; {original.label} is {original.state}.")
    pending = [u for u in store(services).undos_of(original.id) if u.state in OPEN_STATES]
    if pending:
        raise InvalidTransition(f"Undo of {original.label} is already requested as {pending[0].label}.")
    unmet = preconditions.unmet(store(services).for_incident(incident.id), original.action, original.target,
                                incident, undo=True)
    if unmet:
        message = preconditions.refusal(unmet, undo_of=original.label)
        store(services).record(None, {"event": "refused", "actor": actor, "action": original.action,
                                      "target": original.target, "incident": incident.id, "undo_of": original.id,
                                      "error": message, "code": None, "calls": []}, services.clock.now())
        raise InvalidTransition(message)
    job = Job(original.action, original.target, original.options, original.account, original.region,
              incident.id, undo=True, memory=original.memory)
    return _store_plan(services, catalog, job, actor=actor, incident=incident, dry_run=command.dry_run,
                       dedup_key=dedup_key, undo_of=original.id,
                       where={"account": "the request it undoes", "region": "the request it undoes"})


def decide(services: Services, request_id: int, *, actor: str, approve: bool,
           note: str | None = None) -> ContainRequest:
    """Approve or deny under the request's row lock; the executor runs approved requests."""
    current = store(services).get(request_id)
    if current is None:
        raise NotFound(f"There is no response request {request_id}.")
    incident = _incident(services, actor, None, str(current.incident_id), requesting=False)
    cfg, responders = services.config.containment, services.config.access.responders

    def check_approver(req: ContainRequest):
        # The approver lists of the severity the request was made at still apply if the
        # severity dropped since (no dodging the CISO by lowering sev1 to sev3 and back).
        severities = dict.fromkeys([req.plan.get("severity") or incident.severity, incident.severity])
        return lambda: [rules.require_approver(cfg, responders, approver=actor, requester=req.requested_by,
                                               action=req.action, severity=severity,
                                               directory=services.directory) for severity in severities]

    def decided(req: ContainRequest) -> state.Decision:
        decision = state.decide(req, approve=approve, actor=actor, now=now, check_approver=check_approver(req),
                                note=note)
        if decision.changes.get("state") == APPROVED:
            decision.changes["approval_seal"] = seals.sign_approval(services, req.seal, actor)
        return decision

    if approve and current.state == REQUESTED and (why := not_now(services, current, incident)):
        store(services).record(current.id, {"event": "approval-refused", "actor": actor, "error": why},
                               services.clock.now())
        raise InvalidTransition(f"{current.label} cannot be approved now: {why}")
    now = services.clock.now()
    result = store(services).transition(request_id, decided, now)
    verb = "approved" if approve else "denied"
    why = f" — {result.decision_note}" if result.decision_note else ""
    timeline(services, result, f"{result.family.label} {verb}: {result.title} ({result.label}){why}", actor, verb)
    return result


def not_now(services: Services, request: ContainRequest, incident: Incident | None) -> str | None:
    """Why `request` may not go ahead now (None: its preconditions still hold). The same check
    as at request time, run again at approval and at execution: the incident's phase, its
    isolations and its evidence may have changed since."""
    unmet = preconditions.unmet(store(services).for_incident(request.incident_id), request.action, request.target,
                                incident, undo=request.is_undo)
    if not unmet:
        return None
    original = store(services).get(request.undo_of) if request.is_undo else None
    return preconditions.refusal(unmet, undo_of=original.label if original else None)


def expire_due(services: Services, requests: list[ContainRequest]) -> list[ContainRequest]:
    """Mark requests whose approval window passed as expired (read paths call this)."""
    now, shown = services.clock.now(), []
    for req in requests:
        if req.state == REQUESTED and now >= req.expires_at:
            try:
                req = store(services).transition(req.id, lambda cur: state.expire_if_due(cur, now)
                                                 or state.Decision(), now)
            except FirebreakError:
                req = store(services).get(req.id) or req
        shown.append(req)
    return shown


def status(services: Services, *, actor: str, channel: str | None, command: ContainCommand
           ) -> tuple[Incident, list[ContainRequest]]:
    """The incident's requests of the command's family (/contain status lists containment)."""
    incident = _incident(services, actor, channel, command.incident, requesting=False)
    mine = [r for r in store(services).for_incident(incident.id) if r.family.command == command.family]
    return incident, expire_due(services, mine)


# ---------------------------------------------------------------------- helpers
def _incident(services: Services, actor: str, channel: str | None, ref: str | None, *,
              requesting: bool = True) -> Incident:
    incident = incidents.find(services, actor=actor, channel=channel, ref=ref, how_to_name="`--incident 42`")
    if requesting:
        rules.require_requester(services.config.containment, services.config.access.responders, actor,
                                services.directory)
    return incident


def _where(services: Services, incident: Incident, command: ContainCommand) -> tuple[str | None, str, dict]:
    """Account and region, and where each came from: --account/--region, else those of the
    incident's first finding, else Firebreak's own account and aws.default_region. A
    finding's account is used as it is: the catalog refuses one that is neither configured
    (containment.accounts) nor Firebreak's own, so a same-named resource at home is never hit."""
    found = next((f for f in services.repos.findings.linked(incident.id) if f.region or f.account), None)
    account, account_from = command.account, "--account"
    if account is None:
        account, account_from = (found.account, "the incident's finding") if found and found.account \
            else (None, "Firebreak's own credentials")
    region, region_from = command.region, "--region"
    if region is None:
        region, region_from = (found.region, "the incident's finding") if found and found.region \
            else (services.config.aws.default_region, "aws.default_region")
    return account, region, {"account": account_from, "region": region_from}


def _elsewhere(services: Services, job: Job, where: dict) -> str:
    """Why the refused account was chosen when nobody typed it: a finding linked to the
    incident names it, and every request without --account goes there."""
    if where["account"] != "the incident's finding" or job.account in services.config.containment.accounts:
        return ""
    return (". The account came from a finding linked to this incident, so every request without --account "
            "goes there; add --account and --region to act elsewhere.")


def _context(services: Services, incident: Incident, command: ContainCommand) -> dict:
    """For block-ip: the subnets of instances this incident's requests have touched. For
    restore-bucket-policy: when the compromise began (the earliest first-seen time of the
    incident's linked findings), the policy to put back must be older than that."""
    if command.action == "restore-bucket-policy":
        linked = services.repos.findings.linked(incident.id) if services.repos.findings is not None else []
        seen = sorted(f.first_seen for f in linked if f.first_seen)
        return {"compromised_at": seen[0]} if seen else {}
    if command.action != "block-ip" or command.options.get("subnets") or command.options.get("vpc"):
        return {}
    region = _where(services, incident, command)[1]
    subnets = [s for r in store(services).for_incident(incident.id) if r.region == region
               for s in r.plan.get("facts", {}).get("subnets", [])]
    return {"incident_subnets": list(dict.fromkeys(subnets))}


def _store_plan(services: Services, catalog: Catalog, job: Job, *, actor: str, incident: Incident,
                dry_run: bool, dedup_key: str | None, where: dict, undo_of: int | None = None,
                met: list[str] | None = None, preconditions: dict | None = None) -> ContainRequest:
    cfg, calls = services.config.containment, []
    forced = drill_guard(services, incident, job)  # a drill acts in the AWS sandbox only
    try:
        plan: Plan = forced_plan(job, forced) if forced else catalog.plan(job, calls.append)
    except FirebreakError as exc:
        account = (f"account {job.account} from {where['account']}" if job.account
                   else "the account of Firebreak’s own credentials")
        exc.message = f"{exc.message} (looked in {account}, region {job.region} from {where['region']})"
        exc.message += _elsewhere(services, job, where)
        store(services).record(None, {"event": "refused", "actor": actor, "action": job.action,
                                      "target": job.target, "incident": incident.id, "undo_of": undo_of,
                                      "error": exc.message, "code": getattr(exc, "code", None), "calls": calls},
                               services.clock.now())
        raise
    dry = dry_run or cfg.dry_run or bool(forced)
    already = plan.already_done and undo_of is None
    auto = job.action in cfg.auto_approve and not dry and not already and undo_of is None
    now = services.clock.now()
    fields = dict(incident_id=incident.id, undo_of=undo_of, action=job.action, target=job.target,
                  options=job.options, account=plan.account, region=job.region, requested_by=actor,
                  state=ALREADY if already else PLANNED if dry else APPROVED if auto else REQUESTED, dry_run=dry,
                  requested_at=now,
                  expires_at=now + timedelta(minutes=cfg.approval_expiry_minutes), dedup_key=dedup_key,
                  plan={"current": [*(met or []), *plan.current], "changes": plan.changes, "facts": plan.facts,
                        "where": where, "severity": incident.severity,
                        **({"preconditions": preconditions} if preconditions else {}),
                        **({"forced_dry_run": forced} if forced else {})},
                  decided_by=AUTO_APPROVER if auto else None, decided_at=now if auto else None)
    fields["seal"] = seals.sign_plan(services, fields)
    if auto:
        fields["approval_seal"] = seals.sign_approval(services, fields["seal"], AUTO_APPROVER)
    event = {"event": "requested", "actor": actor, "action": job.action, "target": job.target,
             "account": plan.account, "region": job.region, "incident": incident.id, "undo_of": undo_of,
             "dry_run": dry, "auto_approved": auto, "changes": plan.changes, "calls": calls}
    created, new = duplicates.create(services, fields, event, now, actor=actor)
    if new:
        kind = ("Already in place, nothing to run" if already else "Dry run" if dry
                else "Undo requested" if undo_of else f"{created.family.label} requested")
        why = f" — {forced}" if forced else ""
        timeline(services, created, f"{kind}: {created.title} ({created.label}){why}", actor, "requested")
        if auto:
            timeline(services, created, f"{created.family.label} auto-approved by configuration: {created.title} "
                                        f"({created.label})", None, APPROVED)
    return created
