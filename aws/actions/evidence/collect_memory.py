"""collect-memory: memory acquisition through SSM Run Command. Runs the configured document
(yours, named firebreak-*, e.g. deploy/evidence-documents.yaml's AVML one) with two
parameters, Bucket and Prefix, on the instance; waits for it (GetCommandInvocation with
backoff, up to evidence.wait_seconds), and records the command's status and output
location, and every object the command left under the request's prefix. Firebreak sends no
command text: what runs on the instance is only what the operator deployed.

The image is written by the instance itself, so Firebreak never held its bytes while it was
taken: the objects found afterwards are hashed as read back and recorded with their version
ids, and the custody note says so."""

from __future__ import annotations

from aws.actions import ec2_lookup
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.actions.evidence import vault
from aws.errors import AwsActionError
from aws.evidence_reader import sha256_of
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed
from core.errors import UsageError

DONE = ("Success", "Failed", "Cancelled", "TimedOut", "Cancelling")
SSM_NOTE = ("Written by the instance through SSM Run Command (Firebreak never held the bytes): the command id, "
            "status and output prefix are the record; the objects found there are listed with their own hashes")
READ_BACK = ("SHA-256 computed by Firebreak over the object as read back from the Object Lock bucket after the "
             "instance wrote it; re-hashed by `bot.py evidence verify`")


class CollectMemory(vault.Kept):
    spec = SPECS["collect-memory"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        name, document = vault.bucket(ctx), _document(ctx)
        current = [vault.locked(ctx, name), f"Instance {facts.id} {facts.name!r} ({facts.state})"]
        if facts.state != "running":
            raise UsageError(f"{facts.id} is {facts.state}: memory can be acquired only from a running instance.")
        changes = [f"SSM document {document} on {facts.id} with Bucket={name}, Prefix={vault.prefix(ctx)}/memory-"
                   f"{facts.id}",
                   f"Wait up to {ctx.evidence.wait_seconds}s for it; output under s3://{name}/{vault.prefix(ctx)}/"]
        return plan(ctx, current, changes, subnets=facts.subnets, vpc=facts.vpc)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        name, key_prefix = vault.bucket(ctx), f"{vault.prefix(ctx)}/memory-{ctx.job.target}"
        sent = ctx.call("ssm", "send_command", InstanceIds=[ctx.job.target],
                        DocumentName=_document(ctx), Parameters={"Bucket": [name], "Prefix": [key_prefix]},
                        OutputS3BucketName=name, OutputS3KeyPrefix=key_prefix,
                        Comment=f"Firebreak {ctx.job.label}: memory of {ctx.job.target}"[:100],
                        TimeoutSeconds=max(30, ctx.evidence.wait_seconds))["Command"]
        command_id, status = sent["CommandId"], {"Status": sent.get("Status", "Pending")}

        def finished() -> bool:
            try:
                status.update(ctx.call("ssm", "get_command_invocation", CommandId=command_id,
                                       InstanceId=ctx.job.target))
            except AwsActionError as exc:
                if exc.code != "InvocationDoesNotExist":  # not registered yet right after SendCommand
                    raise
            return status.get("Status") in DONE

        vault.poll(finished, ctx.evidence.wait_seconds)
        state = status.get("Status", "Pending")
        if state in ("Failed", "Cancelled", "TimedOut"):
            raise ActionFailed(f"SSM command {command_id} on {ctx.job.target} ended {state}: "
                               f"{status.get('StatusDetails') or ''} {status.get('StandardErrorContent') or ''}"
                               .strip()[:500], code=f"SSM.{state}")
        items = [vault.ssm_item(ctx, name, key_prefix, f"memory of {ctx.job.target} (SSM "
                                                        f"{ctx.evidence.memory_document})", SSM_NOTE,
                                command_id=command_id, status=state, document=ctx.evidence.memory_document,
                                output_url=status.get("StandardOutputUrl") or None)]
        items += _objects(ctx, name, key_prefix)
        waiting = "" if state == "Success" else f" (still {state} after {ctx.evidence.wait_seconds}s: run " \
                                                "/evidence list later; the command keeps running)"
        return (f"SSM command {command_id} {state}; output s3://{name}/{key_prefix}/, {len(items) - 1} object(s) "
                f"recorded{waiting}", {"command_id": command_id, "status": state, "evidence": items})

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return [(f"SSM command {memory['command_id']} ran ({memory['status']})",
                 memory["status"] in ("Success", "Pending", "InProgress", "Delayed"))] \
            + vault.check_objects(ctx, memory["evidence"])


def _document(ctx: ActionContext) -> str:
    if not ctx.evidence.memory_document:
        raise UsageError("collect-memory needs evidence.memory_document: an SSM Command document of yours named "
                         "firebreak-* taking Bucket and Prefix (deploy/evidence-documents.yaml creates one that runs "
                         "AVML); it is not configured.")
    return ctx.evidence.memory_document


def _objects(ctx: ActionContext, name: str, key_prefix: str) -> list[dict]:
    found, items = ctx.call("s3", "list_object_versions", Bucket=name, Prefix=key_prefix + "/", **vault.owner(ctx)), []
    for version in found.get("Versions", []):
        if not version.get("IsLatest", True):
            continue
        body = ctx.call("s3", "get_object", Bucket=name, Key=version["Key"], VersionId=version["VersionId"],
                        **vault.owner(ctx))["Body"]
        digest, size = sha256_of(body)
        items.append(vault.object_item(ctx, name, version["Key"], version["VersionId"], digest, size,
                                       f"written on {ctx.job.target} by SSM", READ_BACK))
    return items
