"""Wiring of the AWS sandbox (aws/sandbox.py) into the processes that use it.

`python bot.py sandbox` starts one and records its inventory in var/sandbox.json; the local
workspace starts one itself when the user has neither AWS credentials nor a chosen endpoint,
and the composition root hands its endpoint and credentials to the AWS session factory
(`build(local_sandbox=...)`): the process environment is left alone. Any process whose
AWS_ENDPOINT_URL is a recorded sandbox's knows it too (Services.sandbox), which is what lets
drills act there and nowhere else."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from aws import sandbox as aws_sandbox
from aws.sessions import AwsEndpoint
from core.settings import PROJECT_ROOT

ESTATE = PROJECT_ROOT / "config" / "sandbox-estate.yaml"
INVENTORY_FILE = PROJECT_ROOT / "var" / "sandbox.json"


@dataclass
class LocalAws:
    """What the local workspace's AWS calls go to, and the line the console shows about it."""

    notice: str
    sandbox: aws_sandbox.Sandbox | None = None
    console_hint: str = ""  # said after the notice in the console only (`:sandbox`)

    @property
    def in_console(self) -> str:
        return f"{self.notice} {self.console_hint}".strip()

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def start(estate: Path = ESTATE, host: str = "127.0.0.1", port: int = 0,
          record: Path | None = INVENTORY_FILE, state: Path | None = None) -> aws_sandbox.Sandbox:
    """A seeded sandbox; its inventory is recorded so other processes can recognise it. With
    `state`, the sandbox of the last run (its calls recorded there) comes back as it was."""
    saved = aws_sandbox.read_inventory(record) if state is not None and record is not None else None
    running = aws_sandbox.start(estate, host, port, state=state, saved=saved)
    if record is not None:
        aws_sandbox.save_inventory(running.inventory, record)
    return running


def for_local_workspace(environ: MutableMapping[str, str] = os.environ, *, estate: Path = ESTATE,
                        record: Path | None = INVENTORY_FILE, progress=lambda text: None, port: int = 0,
                        state: Path | None = None) -> LocalAws:
    """Real credentials or a chosen endpoint: nothing changes. Neither: a sandbox, for the
    composition root to send this process's AWS calls to (`environ` is only read)."""
    if environ.get("AWS_ENDPOINT_URL"):
        return LocalAws(f"AWS: calls go to AWS_ENDPOINT_URL={environ['AWS_ENDPOINT_URL']} (your choice).")
    if aws_sandbox.has_credentials():
        return LocalAws("AWS: using your AWS credentials — /contain acts on real AWS after approval.")
    progress("No AWS credentials found: starting the AWS sandbox (moto on loopback) ...")
    try:
        running = start(estate, port=port, record=record, state=state)
    except aws_sandbox.SandboxError as exc:
        return LocalAws(f"AWS: no credentials found, and no AWS sandbox: {exc.message}. Until AWS credentials "
                        "are configured, /contain, /evidence and /remediate will say AWS refused them.")
    return LocalAws(f"AWS: no credentials found, so /contain acts on the AWS sandbox at {running.endpoint} "
                    f"(moto, seeded from {estate.name}); e.g. /contain isolate-instance "
                    f"{running.inventory.get('instance', 'web-1') or 'i-…'}.", running,
                    console_hint=":sandbox lists its inventory.")


@dataclass(frozen=True)
class RecordedSandbox:
    """A sandbox another process (the local workspace, `bot.py sandbox`) runs, known from its
    recorded inventory: what a command beside it hands the root so its AWS calls go there."""

    inventory: aws_sandbox.Inventory

    @property
    def endpoint(self) -> str:
        return self.inventory.endpoint

    def aws_endpoint(self) -> AwsEndpoint:
        return AwsEndpoint(self.endpoint, aws_sandbox.DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                           aws_sandbox.DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def stop(self) -> None:
        """Not ours to stop."""


def running(path: Path = INVENTORY_FILE, environ: MutableMapping[str, str] = os.environ) -> RecordedSandbox | None:
    """The recorded sandbox, when it answers and the user chose no AWS of their own (no
    AWS_ENDPOINT_URL, no credentials): `bot.py evidence verify 1` beside a running local
    workspace finds it without hand-set variables."""
    inventory = aws_sandbox.read_inventory(path) if Path(path).exists() else None
    if inventory is None or environ.get("AWS_ENDPOINT_URL") or aws_sandbox.has_credentials():
        return None
    if not _answers(inventory.endpoint):
        return None
    return RecordedSandbox(inventory)


def _answers(endpoint: str) -> bool:
    import socket
    from urllib.parse import urlparse

    where = urlparse(endpoint)
    try:
        with socket.create_connection((where.hostname or "127.0.0.1", where.port or 80), timeout=1.0):
            return True
    except OSError:
        return False


def guard(local_sandbox: aws_sandbox.Sandbox | None,
          chosen: AwsEndpoint | None) -> aws_sandbox.SandboxGuard | None:
    """The sandbox this process's AWS calls go to: the one the root started (`chosen` is its
    endpoint), else a recorded one that AWS_ENDPOINT_URL names."""
    if local_sandbox is not None:
        return aws_sandbox.SandboxGuard(local_sandbox.inventory, chosen)
    return recorded()


def recorded(environ: MutableMapping[str, str] = os.environ,
             path: Path = INVENTORY_FILE) -> aws_sandbox.SandboxGuard | None:
    """The sandbox this process's AWS calls go to, if a recorded one matches AWS_ENDPOINT_URL."""
    endpoint = environ.get("AWS_ENDPOINT_URL")
    inventory = aws_sandbox.read_inventory(path) if endpoint else None
    if inventory is None or inventory.endpoint != endpoint:
        return None
    return aws_sandbox.SandboxGuard(inventory)


def _collect_into(inventory: aws_sandbox.Inventory, then=None):
    """/evidence in the sandbox: its Object Lock bucket and memory document, unless the
    config already names its own (then nothing changes)."""
    def adjust(current, ws):
        evidence = current.config.evidence
        bucket = next(iter(inventory.resources.get("evidence_bucket", {}).values()), None)
        document = next(iter(inventory.resources.get("ssm_document", {}).values()), None)
        if evidence.bucket is None and not evidence.buckets and bucket:
            changes = {"bucket": bucket, **({"memory_document": document} if evidence.memory_document is None
                                            and document else {})}
            current = dataclasses.replace(current, config=current.config.model_copy(update={
                "evidence": evidence.model_copy(update=changes)}))
        return then(current, ws) if then else current

    return adjust


def local_workspace(settings, *, environ: MutableMapping[str, str] = os.environ, estate: Path = ESTATE,
                    record: Path | None = INVENTORY_FILE, progress=lambda text: None, sandbox_port: int = 0,
                    sandbox_state: Path | None = None, **options):
    """The local workspace with its AWS settled first (sandbox or not): (workspace, LocalAws).
    Stop both: the workspace, then `LocalAws.stop()`."""
    from composition import local_workspace as workspace_of

    local_aws = for_local_workspace(environ, estate=estate, record=record, progress=progress, port=sandbox_port,
                                    state=sandbox_state)
    try:
        if local_aws.sandbox is not None:
            options["adjust"] = _collect_into(local_aws.sandbox.inventory, options.get("adjust"))
        inventory = tuple(local_aws.sandbox.inventory.lines()) if local_aws.sandbox else ()
        return workspace_of(settings, notices=(local_aws.in_console,), sandbox_inventory=inventory,
                            local_sandbox=local_aws.sandbox, **options), local_aws
    except BaseException:
        local_aws.stop()
        raise
