"""The catalog of every response family (containment, evidence, remediation): action name →
module, behind core.containment.catalog.Catalog. Runs each
action with a context for the job's account and region, verifies after apply, and undoes
completed steps when a later one fails, so a failure never leaves a half-applied change."""

from __future__ import annotations

import threading
from concurrent.futures import Executor, ThreadPoolExecutor

from aws.actions.base import ActionContext, AwsAction, Steps
from aws.actions.block_ip import BlockIp
from aws.actions.block_public_s3 import BlockPublicS3
from aws.actions.disable_access_key import DisableAccessKey
from aws.actions.disable_lambda import DisableLambda
from aws.actions.evidence import EVIDENCE_ACTIONS
from aws.actions.isolate_instance import IsolateInstance
from aws.actions.quarantine import QuarantineRole, QuarantineUser
from aws.actions.remediation import REMEDIATION_ACTIONS
from aws.actions.revoke_instance_role import RevokeInstanceRole
from aws.actions.snapshot_instance import SnapshotInstance
from aws.errors import AwsActionError, aws_errors
from aws.sessions import AwsSessions
from core.containment.catalog import FAMILIES, SPECS, AwsCallRecorder, Job, Outcome, Plan
from core.containment.config import ContainmentConfig
from core.containment.model import ActionFailed
from core.containment.remediation_config import RemediationConfig
from core.evidence.config import EvidenceConfig
from core.errors import UsageError

ACTIONS: dict[str, AwsAction] = {a.spec.name: a for a in (
    IsolateInstance(), SnapshotInstance(), DisableAccessKey(), QuarantineUser(), QuarantineRole(), BlockPublicS3(),
    BlockIp(), DisableLambda(), RevokeInstanceRole(), *EVIDENCE_ACTIONS, *REMEDIATION_ACTIONS)}


READ_THREADS = 8  # concurrent read-only calls of one action (ActionContext.concurrently)


class AwsCatalog:
    """Owns the pool its actions' concurrent reads run in (built here unless the root hands one
    in); `close` shuts it down when the process drains."""

    def __init__(self, sessions: AwsSessions, config: ContainmentConfig,
                 remediation: RemediationConfig | None = None, evidence: EvidenceConfig | None = None, *,
                 reads: Executor | None = None):
        self.sessions, self.config = sessions, config
        self.reads = reads or ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="aws-read")
        self.remediation = remediation or RemediationConfig()
        self.evidence = evidence or EvidenceConfig()
        self._own: str | None = None
        self._lock = threading.Lock()

    def plan(self, job: Job, record: AwsCallRecorder) -> Plan:
        action = _action(job)
        ctx = self._context(job, record)
        return action.undo_plan(ctx) if job.undo else action.plan(ctx)

    def apply(self, job: Job, record: AwsCallRecorder) -> Outcome:
        action = _action(job)
        ctx, steps = self._context(job, record), Steps()
        try:
            summary, memory = action.undo(ctx, steps) if job.undo else action.apply(ctx, steps)
        except (AwsActionError, ActionFailed) as exc:
            done = len(steps)
            left = steps.roll_back()
            note = (f" Could not roll back: {', '.join(left)} — check by hand." if left
                    else f" The {done} step(s) done before the failure were rolled back." if done
                    else " Nothing was changed.")
            raise ActionFailed(exc.message + note, exc.code, rolled_back=not left) from exc
        checks = action.verify_undo(ctx, memory) if job.undo else action.verify(ctx, memory)
        return Outcome(summary, memory, checks)

    def close(self) -> None:
        """Let the reads in hand finish, then stop the pool (Services.drain)."""
        self.reads.shutdown(wait=True)

    def _context(self, job: Job, record: AwsCallRecorder) -> ActionContext:
        return ActionContext(self.sessions, job, record, self.config, self._account(job), self.remediation,
                             self.evidence, self.reads)

    def _account(self, job: Job) -> str:
        """The account acted in: a configured one (its role is assumed), else the account of
        Firebreak's own credentials (asked once). Naming any other account is refused, so a
        typo never sends an action to the wrong place."""
        if job.account in self.config.accounts:
            return job.account
        with self._lock:
            if self._own is None:
                with aws_errors("sts"):
                    self._own = self.sessions.client("sts", region=job.region).get_caller_identity()["Account"]
        if job.account and job.account != self._own:
            spec = SPECS.get(job.action)
            command = FAMILIES[spec.family].command if spec else "contain"
            raise UsageError(f"Account {job.account} is not configured for containment (containment.accounts has "
                             f"{', '.join(self.config.accounts) or 'none'}; Firebreak's own is {self._own}). "
                             f"To act in one of those: `/{command} {job.action} {job.target} --account "
                             f"{next(iter(self.config.accounts), self._own)} --region {job.region}`")
        return self._own



def _action(job: Job) -> AwsAction:
    action = ACTIONS.get(job.action)
    if action is None:
        raise UsageError(f"{job.action} is in the catalog but this version of Firebreak cannot run it in AWS yet.")
    return action
