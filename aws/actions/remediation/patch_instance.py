"""patch-instance: install missing patches with SSM Run Command (remediation.patch_document,
AWS-RunPatchBaseline, Operation=Install) on an SSM-managed, running instance, and wait for
the result, polling GetCommandInvocation with backoff up to remediation.patch_wait_seconds.
The command id and status are remembered (and shown); verify is the status Success. An
instance SSM does not manage is refused with why. No undo: patches stay installed."""

from __future__ import annotations

import time

from aws.actions import ec2_lookup
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan
from core.containment.model import ActionFailed

DONE = ("Success", "Failed", "Cancelled", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable",
        "Terminated", "InvalidPlatform", "AccessDenied")
FIRST_DELAY, MAX_DELAY = 2.0, 30.0
_sleep, _clock = time.sleep, time.monotonic  # tests replace these


def managed(ctx: ActionContext, instance: str) -> dict:
    """SSM's record of the instance; refused (NotSsmManaged) when there is none or it is offline."""
    found = ctx.call("ssm", "describe_instance_information",
                     Filters=[{"Key": "InstanceIds", "Values": [instance]}]).get("InstanceInformationList", [])
    if not found:
        raise ActionFailed(f"{instance} is not managed by SSM (Systems Manager has no record of it: no SSM agent, no "
                           "instance profile allowing it, e.g. AmazonSSMManagedInstanceCore, or no route to the SSM "
                           "endpoints), so Firebreak cannot patch it. Patch it by hand, or launch a clean "
                           f"replacement: `/remediate replace-instance {instance}`.", "NotSsmManaged")
    info = found[0]
    if info.get("PingStatus") != "Online":
        raise ActionFailed(f"{instance}'s SSM agent is {info.get('PingStatus')} (last seen "
                           f"{info.get('LastPingDateTime')}), so a command would not reach it; check the agent "
                           "and ask again.", "NotSsmManaged")
    return info


def invocation(ctx: ActionContext, command: str, instance: str) -> dict:
    try:
        return ctx.call("ssm", "get_command_invocation", CommandId=command, InstanceId=instance)
    except AwsActionError as exc:
        if exc.code == "InvocationDoesNotExist":  # asked too soon after SendCommand
            return {"Status": "Pending", "StatusDetails": "not yet delivered"}
        raise


def wait(ctx: ActionContext, command: str, instance: str, seconds: int) -> dict:
    """Poll with backoff until the invocation finishes or `seconds` pass; the last answer."""
    deadline, delay = _clock() + seconds, FIRST_DELAY
    while True:
        found = invocation(ctx, command, instance)
        left = deadline - _clock()
        if found.get("Status") in DONE or left <= 0:
            return found
        _sleep(min(delay, left))
        delay = min(delay * 2, MAX_DELAY)


class PatchInstance:
    spec = SPECS["patch-instance"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        if facts.state != "running":
            raise ActionFailed(f"{facts.id} is {facts.state}: SSM can only patch a running instance.",
                               "IncorrectInstanceState")
        info = managed(ctx, facts.id)
        cfg = ctx.remediation
        current = [f"Instance {facts.id} {facts.name!r} ({facts.state})",
                   f"SSM-managed: agent {info.get('AgentVersion', '?')} on {info.get('PlatformName', '?')} "
                   f"{info.get('PlatformVersion', '')}".rstrip() + ", ping Online"]
        return plan(ctx, current, [f"Run {cfg.patch_document} (Operation=Install, RebootOption={cfg.patch_reboot}) "
                                   f"and wait up to {cfg.patch_wait_seconds}s for its result "
                                   "(no undo: patches stay installed)"], subnets=facts.subnets)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        instance, cfg = ctx.job.target, ctx.remediation
        managed(ctx, instance)
        sent = ctx.call("ssm", "send_command", InstanceIds=[instance], DocumentName=cfg.patch_document,
                        Parameters={"Operation": ["Install"], "RebootOption": [cfg.patch_reboot]},
                        Comment=f"Firebreak {ctx.job.label or 'plan'} incident {ctx.job.incident_id}"[:100])
        command = sent["Command"]["CommandId"]
        found = wait(ctx, command, instance, cfg.patch_wait_seconds)
        status = found.get("Status", "Unknown")
        memory = {"command_id": command, "document": cfg.patch_document, "status": status,
                  "status_details": found.get("StatusDetails"), "output": found.get("StandardOutputUrl") or None}
        still = "" if status in DONE else f" (still {status} after {cfg.patch_wait_seconds}s; it goes on in AWS)"
        return f"{cfg.patch_document} on {instance}: {status}{still}, command {command}", memory

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        status = invocation(ctx, memory["command_id"], ctx.job.target).get("Status")
        return [(f"{memory['document']} finished with Success (command {memory['command_id']}: {status})",
                 status == "Success")]
