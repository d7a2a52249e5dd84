"""moto's IAM enforcement, made to read conditions for the calls of issue 22's escalation paths.

moto 5.2.6 (moto/iam/access_control.py, IAMRequestBase.check_action_permitted) checks the
action of every call, the resource only for S3 and some IAM calls (everything else against
"*"), and no Condition block. `condition_aware(monkeypatch, {principal ARN: policy})`
wraps that check, only while the test runs: moto decides first (its refusal stands), and
then a request whose action is in READERS, made by a principal named in the mapping, is
decided again by tests/support/iam_policy.decide with the policy as IAM would read it
(the deployed JSON, not moto's widened reading): the resource ARNs and condition keys are
read from the actual request and from moto's state (tags, owners), as the Service
Authorization Reference says IAM computes them for that action. Any other action, or
another principal, gets moto's decision alone.

What it does not do: it is not IAM. It reads only the request shapes below (an unread
shape of a read action is an error, never a guess), not every key the reference lists
for an action (only those the shipped policy's statements for it use, plus the resource
tags), and no global keys beyond aws:RequestTag, aws:TagKeys and aws:ResourceTag. Not read:
RunInstances' snapshots of the image (IAM also authorizes those, with their ec2:Owner), the
output bucket of SendCommand, and a launch template's contents."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tests.support.iam_policy import decide

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"


@dataclass
class Request:
    """One authenticated request as moto's check sees it."""
    action: str
    params: dict
    account: str
    region: str
    resource: str  # what moto itself checks (the object ARN for S3, else usually "*")

    @property
    def ec2(self):
        from moto.ec2.models import ec2_backends
        return ec2_backends[self.account][self.region]

    def arn(self, kind: str, ident: str, account: str | None = None) -> str:
        return f"arn:aws:ec2:{self.region}:{self.account if account is None else account}:{kind}/{ident}"

    def numbered(self, prefix: str) -> list[str]:
        """Query-protocol list members `prefix.1`, `prefix.2`, … in order."""
        found = [(int(m.group(1)), v) for k, v in self.params.items()
                 if (m := re.fullmatch(re.escape(prefix) + r"\.(\d+)", k))]
        return [v for _, v in sorted(found)]


def _params(iam_request) -> dict:
    data = iam_request._data
    if iam_request._body and iam_request._body.lstrip().startswith(b"{"):  # JSON protocol (SSM)
        return json.loads(iam_request._body)
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in dict(data).items()}


def _resource_tags(tags: dict[str, str]) -> dict:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def _request_tags(req: Request, resource_type: str) -> dict:
    """aws:RequestTag/… and aws:TagKeys from TagSpecification.N of one resource type."""
    tags = {}
    n = 1
    while f"TagSpecification.{n}.ResourceType" in req.params:
        if req.params[f"TagSpecification.{n}.ResourceType"] == resource_type:
            m = 1
            while f"TagSpecification.{n}.Tag.{m}.Key" in req.params:
                tags[req.params[f"TagSpecification.{n}.Tag.{m}.Key"]] = req.params.get(
                    f"TagSpecification.{n}.Tag.{m}.Value", "")
                m += 1
        n += 1
    keys = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    return {**keys, "aws:TagKeys": list(tags)} if tags else keys


def _owner(resource) -> str:
    """ec2:Owner: "amazon" for Amazon's images and snapshots, else the owning account."""
    return "amazon" if getattr(resource, "owner_alias", None) == "amazon" else resource.owner_id


# ------------------------------------------------------------------------------------- readers
# Each yields (resources {ARN: that resource's keys}, request keys) once per decision; the
# request is allowed only if every decision is.

def send_command(req: Request):
    name = req.params["DocumentName"]
    if name.startswith("arn:"):
        document = name  # another account's shared document is named by its ARN
    elif name.startswith("AWS-"):
        document = f"arn:aws:ssm:{req.region}::document/{name}"  # AWS-owned: no account
    else:
        document = f"arn:aws:ssm:{req.region}:{req.account}:document/{name}"
    if "InstanceIds" not in req.params:
        raise ValueError("ssm:SendCommand by Targets is not read here")
    instances = {req.arn("instance", i): _resource_tags(req.ec2.tags.get(i, {})) for i in req.params["InstanceIds"]}
    yield {document: {}, **instances}, {}


def group_rules(req: Request):
    if "GroupId" not in req.params:
        raise ValueError(f"{req.action} by GroupName is not read here")
    group = req.params["GroupId"]
    yield {req.arn("security-group", group): _resource_tags(req.ec2.tags.get(group, {}))}, {}


def delete_network_acl_entry(req: Request):
    acl = req.params["NetworkAclId"]
    yield {req.arn("network-acl", acl): _resource_tags(req.ec2.tags.get(acl, {}))}, {}


# ModifyInstanceAttribute names its attribute either in Attribute (with Value) or by the
# parameter it sets; ec2:Attribute is that attribute's name.
INSTANCE_ATTRIBUTES = {"UserData": "userData", "DisableApiTermination": "disableApiTermination",
                       "GroupId": "groupSet", "BlockDeviceMapping": "blockDeviceMapping",
                       "InstanceType": "instanceType", "Kernel": "kernel", "Ramdisk": "ramdisk",
                       "SourceDestCheck": "sourceDestCheck", "EbsOptimized": "ebsOptimized",
                       "SriovNetSupport": "sriovNetSupport", "EnaSupport": "enaSupport",
                       "InstanceInitiatedShutdownBehavior": "instanceInitiatedShutdownBehavior",
                       "DisableApiStop": "disableApiStop"}


def modify_instance_attribute(req: Request):
    instance = req.params["InstanceId"]
    named = {req.params["Attribute"]} if "Attribute" in req.params else {
        name for prefix, name in INSTANCE_ATTRIBUTES.items() if any(k.split(".")[0] == prefix for k in req.params)}
    if len(named) != 1:
        raise ValueError(f"ec2:ModifyInstanceAttribute: cannot tell the attribute of {sorted(req.params)}")
    keys = {**_resource_tags(req.ec2.tags.get(instance, {})), "ec2:Attribute": named.pop()}
    yield {req.arn("instance", instance): keys}, {}


def _snapshot(req: Request, snapshot_id: str) -> tuple[str, dict]:
    snapshot = req.ec2.snapshots.get(snapshot_id)
    keys = _resource_tags(req.ec2.tags.get(snapshot_id, {}))
    if snapshot is not None:
        keys["ec2:Owner"] = _owner(snapshot)
    return req.arn("snapshot", snapshot_id, account=""), keys


def run_instances(req: Request):
    image_id = req.params["ImageId"]
    image = req.ec2.amis.get(image_id)
    resources = {req.arn("instance", "*"): _request_tags(req, "instance"),
                 req.arn("network-interface", "*"): {}, req.arn("volume", "*"): {},
                 req.arn("image", image_id, account=""): {"ec2:Owner": _owner(image)} if image else {}}
    for subnet in [req.params.get("SubnetId"), req.params.get("NetworkInterface.1.SubnetId")]:
        if subnet:
            resources[req.arn("subnet", subnet)] = {}
    for group in req.numbered("SecurityGroupId"):
        resources[req.arn("security-group", group)] = {}
    yield resources, {}


def register_image(req: Request):
    resources = {req.arn("image", "*", account=""): _request_tags(req, "image")}
    n = 1
    while f"BlockDeviceMapping.{n}.DeviceName" in req.params:
        if snapshot := req.params.get(f"BlockDeviceMapping.{n}.Ebs.SnapshotId"):
            arn, keys = _snapshot(req, snapshot)
            resources[arn] = keys
        n += 1
    yield resources, {}


def modify_snapshot_attribute(req: Request):
    """One decision per account or group added or removed, each of which must be allowed:
    decide reads a key with several values as "any of", which would let an attacker's
    account through beside the forensics account. This is the stricter reading."""
    arn, keys = _snapshot(req, req.params["SnapshotId"])
    operation = req.params.get("OperationType", "add").capitalize()
    changes = [(operation, "userId", u) for u in req.numbered("UserId")] + \
              [(operation, "group", g) for g in req.numbered("UserGroup")]
    for op in ("Add", "Remove"):
        n = 1
        while any(k.startswith(f"CreateVolumePermission.{op}.{n}.") for k in req.params):
            if user := req.params.get(f"CreateVolumePermission.{op}.{n}.UserId"):
                changes.append((op, "userId", user))
            if group := req.params.get(f"CreateVolumePermission.{op}.{n}.Group"):
                changes.append((op, "group", group))
            n += 1
    attribute = req.params.get("Attribute") or ("createVolumePermission" if changes else None)
    base = {**keys, **({"ec2:Attribute": attribute} if attribute else {})}
    for op, kind, value in changes or [(None, None, None)]:
        yield {arn: {**base, **({f"ec2:{op}/{kind}": value} if op else {})}}, {}


def object_read(req: Request):
    yield {req.resource: {}}, {}  # moto already names the object: arn:aws:s3:::bucket/key


def attach_policy(req: Request):
    from moto.iam.models import iam_backends
    iam = iam_backends[req.account]["aws"]
    if "UserName" in req.params:
        arn = iam.get_user(req.params["UserName"]).arn
    else:
        arn = iam.get_role(req.params["RoleName"]).arn
    yield {arn: {}}, {"iam:PolicyARN": req.params["PolicyArn"]}


@dataclass(frozen=True)
class Reader:
    read: Callable[[Request], Iterator[tuple[dict, dict]]]
    reference: str  # the Service Authorization Reference's resource types and keys this reads


EC2 = SAR + "list_amazonec2.html"
READERS = {
    "ssm:SendCommand": Reader(send_command, SAR + "list_awssystemsmanager.html: resource types document "
                              "(required; arn:…:document/name, no account for AWS-owned) and instance"),
    "ec2:AuthorizeSecurityGroupIngress": Reader(group_rules, EC2 + ": security-group*, aws:ResourceTag/${TagKey}"),
    "ec2:AuthorizeSecurityGroupEgress": Reader(group_rules, EC2 + ": security-group*, aws:ResourceTag/${TagKey}"),
    "ec2:RevokeSecurityGroupIngress": Reader(group_rules, EC2 + ": security-group*, aws:ResourceTag/${TagKey}"),
    "ec2:RevokeSecurityGroupEgress": Reader(group_rules, EC2 + ": security-group*, aws:ResourceTag/${TagKey}"),
    "ec2:DeleteNetworkAclEntry": Reader(delete_network_acl_entry, EC2 + ": network-acl*, aws:ResourceTag/${TagKey}"),
    "ec2:ModifyInstanceAttribute": Reader(modify_instance_attribute,
                                          EC2 + ": instance*, ec2:Attribute, aws:ResourceTag/${TagKey}"),
    "ec2:RunInstances": Reader(run_instances, EC2 + ": image* (ec2:Owner), instance* (aws:RequestTag/${TagKey}, "
                               "aws:TagKeys), network-interface*, security-group*, subnet*, volume*"),
    "ec2:RegisterImage": Reader(register_image, EC2 + ": image* (aws:RequestTag/${TagKey}, aws:TagKeys), "
                                "snapshot (ec2:Owner, aws:ResourceTag/${TagKey})"),
    "ec2:ModifySnapshotAttribute": Reader(modify_snapshot_attribute, EC2 + ": snapshot*, ec2:Attribute, "
                                          "ec2:Add/userId, ec2:Add/group, ec2:Remove/userId, ec2:Remove/group, "
                                          "ec2:Owner, aws:ResourceTag/${TagKey}"),
    "s3:GetObject": Reader(object_read, SAR + "list_amazons3.html: object*"),
    "iam:AttachUserPolicy": Reader(attach_policy, SAR + "list_awsidentityandaccessmanagementiam.html: user*, "
                                   "iam:PolicyARN"),
    "iam:AttachRolePolicy": Reader(attach_policy, SAR + "list_awsidentityandaccessmanagementiam.html: role*, "
                                   "iam:PolicyARN"),
}


def condition_aware(monkeypatch, policies: dict[str, dict], seen: list | None = None) -> None:
    """From here until the test ends, requests of READERS' actions by a principal in
    `policies` (its ARN → the policy as attached in AWS) are also decided with conditions.
    Each decision's (action, resources, request keys) is appended to `seen` if given."""
    from moto.iam.access_control import IAMRequestBase

    moto_decides = IAMRequestBase.check_action_permitted

    def check_action_permitted(self, resource: str) -> None:
        moto_decides(self, resource)  # moto's refusal stands
        reader, policy = READERS.get(self._action), policies.get(self._access_key.arn)
        if reader is None or policy is None:
            return
        req = Request(self._action, _params(self), self.account_id, self._region, resource)
        for resources, request in reader.read(req):
            if seen is not None:
                seen.append((self._action, resources, request))
            if not decide(policy, self._action, resources, request):
                self._raise_access_denied()

    monkeypatch.setattr(IAMRequestBase, "check_action_permitted", check_action_permitted)
