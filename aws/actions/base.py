"""What every action module uses: clients for the job's account and region that report
each AWS call (with its request id) to the audit, error mapping, and compensations so a
failure part-way never leaves a half-applied change."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor
from typing import Any, Callable, Protocol

from botocore.exceptions import ClientError

from aws.errors import AwsActionError, aws_errors
from core.containment.catalog import ActionSpec, AwsCallRecorder, Job, Plan
from core.containment.config import ContainmentConfig
from core.containment.remediation_config import RemediationConfig
from core.evidence.config import EvidenceConfig

log = logging.getLogger("firebreak.containment")
Checks = list[tuple[str, bool]]
TAG_INCIDENT = "firebreak:incident"
TAG_REQUEST = "firebreak:request"


def session_name(job: Job) -> str:
    """The assumed-role session of one request (CloudTrail's userIdentity names it)."""
    if job.request_id is not None:
        return f"firebreak-{job.label}" + ("-undo" if job.undo else "")
    return f"firebreak-plan-incident-{job.incident_id}"


class ActionContext:
    """Clients for one job; `call` maps botocore errors to AwsActionError with the AWS code."""

    def __init__(self, sessions, job: Job, record: AwsCallRecorder, config: ContainmentConfig, account: str,
                 remediation: RemediationConfig | None = None, evidence: EvidenceConfig | None = None,
                 reads: Executor | None = None):
        self.sessions, self.job, self.record, self.config, self.account = sessions, job, record, config, account
        self.reads = reads  # the catalog's pool for concurrent reads (None: one after the other)
        self.remediation = remediation or RemediationConfig()
        self.evidence = evidence or EvidenceConfig()  # the `evidence:` section (bucket, KMS key, SSM, sharing)
        self._clients: dict[str, Any] = {}
        self._identity: dict | None = None
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            with self._lock:  # concurrent reads (see concurrently) must not ask for a client twice
                if service not in self._clients:
                    self._clients[service] = self.sessions.client(service, account=self.job.account,
                                                                  region=self.job.region,
                                                                  session_name=session_name(self.job))
                client = self._clients[service]
        return client

    def call(self, service: str, operation: str, **params) -> dict:
        """One AWS call, reported to the audit with its request id as soon as it returns. It is
        reported here rather than by a hook on the client because clients are shared between
        jobs (AwsSessions keeps them: building an EC2 client costs ~20 ms of CPU)."""
        client = self.client(service)
        with aws_errors(service):
            try:
                response = getattr(client, operation)(**params)
            except ClientError as exc:
                self._report(service, client, operation, exc.response, failed=True)
                raise
            self._report(service, client, operation, response)
            return response

    def concurrently(self, *reads: Callable[[], Any]) -> list[Any]:
        """Run independent read-only calls at the same time; their results in order. Each is a
        round trip to AWS (and one audit record), so a verification of four reads takes about
        as long as its slowest one. Every read finishes before the first error is raised, so
        nothing is still running when the caller rolls back."""
        if len(reads) < 2 or self.reads is None:
            return [read() for read in reads]
        futures = [self.reads.submit(read) for read in reads]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def identity(self) -> dict:
        """sts:GetCallerIdentity of the credentials this job acts with (asked once per job):
        in another account that is the assumed role's session, at home Firebreak's own."""
        if self._identity is None:
            self._identity = self.call("sts", "get_caller_identity")
        return self._identity

    def _report(self, service: str, client: Any, operation: str, response: dict, failed: bool = False) -> None:
        meta = response.get("ResponseMetadata") or {}
        name = client.meta.method_to_api_mapping.get(operation, operation)
        self.record({"call": f"{service}:{name}", "status": meta.get("HTTPStatusCode", 400 if failed else 200),
                     "request_id": meta.get("RequestId"), "error": (response.get("Error") or {}).get("Code")})


class Steps:
    """Compensations for what apply did so far, run in reverse when a later step fails."""

    def __init__(self):
        self._undo: list[tuple[str, Callable[[], Any]]] = []

    def __len__(self) -> int:
        return len(self._undo)

    def did(self, what: str, undo: Callable[[], Any]) -> None:
        self._undo.append((what, undo))

    def roll_back(self) -> list[str]:
        """Undo in reverse order; returns what could not be undone."""
        left = []
        for what, undo in reversed(self._undo):
            try:
                undo()
            except AwsActionError as exc:
                log.error("could not roll back %s: %s", what, exc.message)
                left.append(what)
        self._undo.clear()
        return left


class AwsAction(Protocol):
    spec: ActionSpec

    def plan(self, ctx: ActionContext) -> Plan: ...

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]: ...

    def verify(self, ctx: ActionContext, memory: dict) -> Checks: ...

    def undo_plan(self, ctx: ActionContext) -> Plan: ...

    def undo(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]: ...

    def verify_undo(self, ctx: ActionContext, memory: dict) -> Checks: ...


def tags(ctx: ActionContext) -> list[dict]:
    job = ctx.job
    found = [{"Key": TAG_INCIDENT, "Value": str(job.incident_id)}]
    return found + ([{"Key": TAG_REQUEST, "Value": job.label}] if job.request_id else [])


def plan(ctx: ActionContext, current: list[str], changes: list[str], *, already_done: bool = False,
         **facts) -> Plan:
    return Plan(ctx.account, current, changes, facts, already_done=already_done)
