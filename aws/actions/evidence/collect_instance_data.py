"""collect-instance-data: the instance as AWS describes it — metadata, security groups (with
their rules), instance profile and roles, console output and tags — as one JSON document in
the evidence bucket, hashed as written. Read-only towards the instance; nothing to undo."""

from __future__ import annotations

import base64
import binascii
import json

from aws.actions import ec2_lookup
from aws.actions.base import ActionContext, Checks, Steps, plan
from aws.actions.evidence import vault
from aws.errors import AwsActionError
from core.containment.catalog import SPECS, Plan


class CollectInstanceData(vault.Kept):
    spec = SPECS["collect-instance-data"]

    def plan(self, ctx: ActionContext) -> Plan:
        facts = ec2_lookup.instance(ctx, ctx.job.target)
        name = vault.bucket(ctx)
        current = [vault.locked(ctx, name),
                   f"Instance {facts.id} {facts.name!r} ({facts.state}) in {facts.vpc or 'no VPC'}, "
                   f"{len(facts.enis)} network interface(s), {len(facts.tags)} tag(s)"]
        changes = [f"Write s3://{name}/{vault.prefix(ctx)}/instance-data-{facts.id}.json: DescribeInstances, its "
                   "security groups and rules, instance profile and roles, console output, tags (SHA-256 recorded)"]
        return plan(ctx, current, changes, subnets=facts.subnets, vpc=facts.vpc)

    def apply(self, ctx: ActionContext, steps: Steps) -> tuple[str, dict]:
        name = vault.bucket(ctx)
        document = collect(ctx, ctx.job.target)
        body = json.dumps(document, indent=2, sort_keys=True, default=str, ensure_ascii=False).encode()
        key = f"{vault.prefix(ctx)}/instance-data-{ctx.job.target}.json"
        item = vault.put(ctx, name, key, body, source=f"ec2 instance {ctx.job.target} in {ctx.account}/"
                                                      f"{ctx.job.region}", content_type="application/json")
        return (f"instance data of {ctx.job.target}: {item['location']} (SHA-256 {item['sha256']}, "
                f"{item['size']} bytes)", {"evidence": [item]})

    def verify(self, ctx: ActionContext, memory: dict) -> Checks:
        return vault.check_objects(ctx, memory["evidence"])


def collect(ctx: ActionContext, instance_id: str) -> dict:
    found = ctx.call("ec2", "describe_instances", InstanceIds=[instance_id])["Reservations"]
    data = found[0]["Instances"][0] if found and found[0]["Instances"] else {}
    groups = sorted({g["GroupId"] for n in data.get("NetworkInterfaces", []) for g in n.get("Groups", [])}
                    | {g["GroupId"] for g in data.get("SecurityGroups", [])})
    security_groups = ctx.call("ec2", "describe_security_groups", GroupIds=groups)["SecurityGroups"] if groups else []
    profile = _profile(ctx, (data.get("IamInstanceProfile") or {}).get("Arn"))
    console = ctx.call("ec2", "get_console_output", InstanceId=instance_id)
    return {"collected": {"by": "firebreak", "incident": ctx.job.incident_id, "request": ctx.job.label,
                          "account": ctx.account, "region": ctx.job.region},
            "instance": data, "security_groups": security_groups, "instance_profile": profile,
            "console_output": {"timestamp": console.get("Timestamp"), "text": _decoded(console.get("Output"))},
            "tags": {t["Key"]: t["Value"] for t in data.get("Tags", [])}}


def _profile(ctx: ActionContext, arn: str | None) -> dict | None:
    if not arn:
        return None
    try:
        return ctx.call("iam", "get_instance_profile", InstanceProfileName=arn.rsplit("/", 1)[-1])["InstanceProfile"]
    except AwsActionError as exc:  # the profile may be gone already; say so in the evidence
        return {"Arn": arn, "error": exc.code}


def _decoded(output: str | None) -> str | None:
    if not output:
        return output
    try:
        return base64.b64decode(output, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return output
