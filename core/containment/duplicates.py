"""One request at a time per action and target, across every incident.

A second `/contain isolate-instance i-1` while C10 waits for approval (or a double click of
Request containment) would run twice, and the second run would record C10's isolation as
the "original" state its undo puts back. So a request that would act on what another one
already covers (open, or succeeded and still in effect) is refused with a pointer to it.

The rule is kept by the database, not by a read-then-write: each covering request stores
its cover key in a unique column (store/containment), cleared as soon as the request stops
covering, so two replicas filing the same request at the same moment cannot both pass."""

from __future__ import annotations

import hashlib
from datetime import datetime

from core.containment.catalog import SPECS
from core.containment.model import OPEN_STATES, SUCCEEDED, ContainRequest
from core.errors import InvalidTransition
from core.incidents import service as incidents
from core.services import Services

# Targets named once per account (IAM, S3): the same in every region.
REGIONLESS = frozenset({"disable-access-key", "quarantine-user", "quarantine-role", "block-public-s3",
                        "delete-access-key", "delete-login-profile", "restore-bucket-policy"})


class CoverTaken(Exception):
    """Raised by the repository when the database refused a second cover of the same key."""

    def __init__(self, holder: ContainRequest):
        super().__init__(holder.label)
        self.holder = holder


def cover_key(action: str, target: str, account: str | None, region: str | None, options: dict) -> str:
    """What a request acts on: the action, its target where it lives, and the options that
    change what it covers (--subnets, --hours …; flags such as --snapshot do not)."""
    spec = SPECS.get(action)
    scope = sorted((k, str(v)) for k, v in (options or {}).items() if spec and k in spec.values)
    where = "" if action in REGIONLESS else (region or "")
    text = "\x1f".join([action, target.lower() if action in REGIONLESS else target, account or "", where,
                        repr(scope)])
    return hashlib.sha256(text.encode()).hexdigest()


def key_of(request: ContainRequest) -> str:
    return cover_key(request.action, request.target, request.account, request.region, request.options)


def covers(request: ContainRequest) -> bool:
    """Whether the request still covers its target: waiting, approved or running, or done and
    still in effect (an undoable action until it is undone). Dry runs and undos cover nothing;
    a finished collection of evidence or an irreversible remediation does not either (its
    next plan reads AWS and says "already done" where that is so)."""
    if request.is_undo or request.dry_run:
        return False
    if request.state in OPEN_STATES:
        return True
    spec = SPECS.get(request.action)
    return request.state == SUCCEEDED and bool(spec and spec.undoable)


def new_cover(fields: dict) -> str | None:
    """The cover key a new request's row takes (None: it covers nothing)."""
    if fields.get("undo_of") is not None or fields.get("dry_run") or fields.get("state") not in OPEN_STATES:
        return None
    return cover_key(fields["action"], fields["target"], fields.get("account"), fields.get("region"),
                     fields.get("options") or {})


def create(services: Services, fields: dict, event: dict, at: datetime, *, actor: str
           ) -> tuple[ContainRequest, bool]:
    """Store a new request unless another one covers the same action and target. An
    "already in place" plan is refused too when a request of Firebreak's covers it, so the
    pointer goes to the request that can be undone."""
    repo = services.repos.containment
    if fields.get("undo_of") is None and not fields.get("dry_run"):
        key = cover_key(fields["action"], fields["target"], fields.get("account"), fields.get("region"),
                        fields.get("options") or {})
        holder = repo.holder(key)
        if holder is not None:
            raise _refused(services, fields, holder, actor, at)
    try:
        return repo.create({**fields, "covers": new_cover(fields)}, event, at)
    except CoverTaken as taken:  # filed at the same moment elsewhere: the database let one through
        raise _refused(services, fields, taken.holder, actor, at) from None


def _refused(services: Services, fields: dict, holder: ContainRequest, actor: str, at: datetime
             ) -> InvalidTransition:
    """The refusal, recorded on the audit chain like every other refused request."""
    error = refusal(services, holder, actor)
    services.repos.containment.record(None, {"event": "refused", "actor": actor, "action": fields["action"],
                                             "target": fields["target"], "incident": fields["incident_id"],
                                             "undo_of": None, "error": error.message, "covered_by": holder.id,
                                             "code": None, "calls": []}, at)
    return error


def refusal(services: Services, holder: ContainRequest, actor: str) -> InvalidTransition:
    """"C10 already covers this; approve it there", naming the incident only to those who may see it."""
    incident = services.incidents.get(holder.incident_id)
    where = f" in incident {incident.label}" if incident and incidents.visible_to(services, incident, actor) else \
        " in an incident you cannot see (ask its responders)"
    command = holder.family.command
    if holder.state == "requested":
        then = "approve it there (or deny it, then request again)"
    elif holder.state in OPEN_STATES:
        then = "it is approved and runs now; its card shows the result"
    else:
        then = f"it is in effect. To do it again, undo it first: `/{command} undo {holder.id}`"
    return InvalidTransition(f"{holder.label}{where} already covers {holder.action} {holder.target}; {then}.")
