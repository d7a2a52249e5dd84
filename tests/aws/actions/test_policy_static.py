"""What moto cannot see in iam/firebreak-policy.json (resources and conditions), checked
statically, twice: by parliament's privilege-escalation and resource-star auditors, and by
a plain reading of the statements below, so a gap in the analyser cannot let a weakening
through. Each weakening the plain check knows is shown to be caught.

And the escalation paths of issue 22 (item 4) and its foreign SSM document (item 1), each
tried as an IAM request against the policy with tests/support/iam_policy.decide, which
evaluates conditions: moto's enforcement (test_iam_policy.py) ignores conditions and checks
EC2 and SSM calls against the resource "*", so it cannot refuse these alone. Each is refused; the
legitimate call beside it is allowed, so the refusal is the condition's doing.
test_iam_paths_enforced.py makes each of PATHS as a real call under moto with the same
evaluator hooked into moto's check (tests/support/moto_conditions.py)."""

from __future__ import annotations

import copy
import json
from fnmatch import fnmatchcase
from pathlib import Path

import parliament
import pytest

from tests.conftest import REPO
from tests.support.iam_policy import decide

# Both shipped policies: the one every role carries and the one only Firebreak's own role does.
POLICY = json.loads((REPO / "iam" / "firebreak-policy.json").read_text())
POLICY = {**POLICY, "Statement": POLICY["Statement"]
          + json.loads((REPO / "iam" / "firebreak-home-policy.json").read_text())["Statement"]}
DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"
ATTACH = ("iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:DetachUserPolicy", "iam:DetachRolePolicy")
# Any one of these lets the holder raise its own (or someone's) privileges, or destroy evidence.
NEVER = ("iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy", "iam:CreatePolicy",
         "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachGroupPolicy", "iam:AddUserToGroup",
         "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:UpdateAssumeRolePolicy",
         "iam:CreateUser", "iam:CreateRole", "iam:PutUserPermissionsBoundary", "iam:PutRolePermissionsBoundary",
         "iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "sts:AssumeRole",
         "lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
         "ec2:DeleteSnapshot", "s3:PutBucketAcl", "ssm:StartSession", "ssm:CreateDocument", "ssm:UpdateDocument",
         "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention",
         "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration", "s3:PutLifecycleConfiguration")
# /remediate's writes, each allowed only as scoped here (see problems()): launching and
# removing only Firebreak-tagged replacements, SendCommand of Firebreak's own documents and
# AWS-RunPatchBaseline only, and bucket policies never on Firebreak's own buckets.
REPLACEMENT = "replacement"
# Actions that change something and can be scoped: never on Resource "*".
SENSITIVE = ("iam:UpdateAccessKey", "iam:PassRole", "ec2:AuthorizeSecurityGroupIngress",
             "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
             "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags", "ec2:ModifyNetworkInterfaceAttribute",
             "ec2:ModifyInstanceAttribute", "ec2:AssociateIamInstanceProfile", "ec2:DisassociateIamInstanceProfile",
             "ec2:CreateSnapshot", "ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry", "wafv2:UpdateIPSet",
             "autoscaling:DetachInstances", "autoscaling:AttachInstances", "elasticloadbalancing:DeregisterTargets",
             "elasticloadbalancing:RegisterTargets", "s3:PutBucketPublicAccessBlock", "lambda:PutFunctionConcurrency",
             "lambda:DeleteFunctionConcurrency", "ec2:RunInstances", "ec2:TerminateInstances", "ec2:RegisterImage",
             "ec2:DeregisterImage", "ssm:SendCommand", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
             "iam:DeleteAccessKey", "iam:DeleteLoginProfile", "ec2:ModifySnapshotAttribute", "ec2:CopySnapshot",
             "s3:PutObject", "kms:CreateGrant", "kms:Decrypt", "ec2:GetConsoleOutput") + ATTACH
# The only SSM documents Firebreak may send: AWS's patch baseline (AWS-owned, not editable) and
# documents named firebreak-* in the account (yours, e.g. the memory acquisition one from
# deploy/evidence-documents.yaml; Firebreak cannot create or edit documents). Never
# AWS-RunShellScript: that would be any command as root on every managed instance.
DOCUMENTS = ("arn:aws:ssm:*::document/AWS-RunPatchBaseline", "arn:aws:ssm:*:${AWS::AccountId}:document/firebreak-*")
# Objects Firebreak may read: its own buckets, CloudTrail's for /investigate, and the one log
# archive bucket named when it is deployed (never "any bucket whose name contains logs").
READABLE = ("arn:aws:s3:::firebreak-evidence-*", "arn:aws:s3:::firebreak-evidence-*/*",
            "arn:aws:s3:::firebreak-athena-results-*/*", "arn:aws:s3:::aws-cloudtrail-logs-*/*",
            "arn:aws:s3:::${LogArchiveBucket}", "arn:aws:s3:::${LogArchiveBucket}/*")
OWN_ACCOUNT = ["${AWS::AccountId}", "amazon"]  # and remediation.image_owners: yours to add
EVIDENCE_BUCKETS = ("arn:aws:s3:::firebreak-evidence-*", "arn:aws:s3:::firebreak-evidence-*/*")
# Object writes anywhere else: only Athena's query results (investigation), in their own buckets.
WRITABLE = EVIDENCE_BUCKETS + ("arn:aws:s3:::firebreak-athena-results-*/*",)
# Security group rules may change only on groups Firebreak created and tagged.
GROUP_RULES = ("ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
               "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress")
OWN = ("arn:aws:iam::123456789012:role/firebreak-bot", "arn:aws:iam::123456789012:role/ops/FirebreakResponder",
       "arn:aws:iam::123456789012:user/firebreak", "arn:aws:iam::123456789012:instance-profile/firebreak-host")
OWN_CHANGES = ("iam:PutRolePolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy",
               "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "iam:UpdateAccessKey",
               "iam:PassRole", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:AddRoleToInstanceProfile")


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def grants(statement: dict, action: str) -> bool:
    """Does the statement's Action (wildcards, any case) cover `action`?"""
    if "NotAction" in statement:
        return not any(fnmatchcase(action.lower(), a.lower()) for a in _list(statement["NotAction"]))
    return any(fnmatchcase(action.lower(), a.lower()) for a in _list(statement["Action"]))


def covers(statement: dict, arn: str) -> bool:
    return any(fnmatchcase(arn, r) for r in _list(statement.get("Resource", [])))


def problems(policy: dict) -> list[str]:
    """Every way the policy lets Firebreak escalate or reach too far; [] when none."""
    found = []
    for s in policy["Statement"]:
        sid, condition = s.get("Sid", "?"), s.get("Condition", {})
        if s["Effect"] != "Allow":
            continue
        if "NotAction" in s or "NotResource" in s:
            found.append(f"{sid}: NotAction/NotResource with Allow")
        for action in NEVER:
            if grants(s, action):
                found.append(f"{sid}: grants {action}")
        for action in SENSITIVE:
            if grants(s, action) and "*" in _list(s.get("Resource", [])):
                found.append(f"{sid}: {action} on Resource *")
        if any(grants(s, a) for a in ATTACH):
            values = [v for op in ("ArnEquals", "ArnLike", "StringEquals") for v in
                      _list(condition.get(op, {}).get("iam:PolicyARN", []))]
            if values != [DENY_ALL]:
                found.append(f"{sid}: attaches/detaches policies other than AWSDenyAll (iam:PolicyARN {values})")
        if grants(s, "iam:PassRole"):
            if condition.get("StringEquals", {}).get("iam:PassedToService") != "ec2.amazonaws.com":
                found.append(f"{sid}: iam:PassRole not limited to ec2.amazonaws.com")
            if not any(k.startswith(("aws:ResourceTag/", "iam:ResourceTag/")) for k in condition.get("StringEquals", {})):
                found.append(f"{sid}: iam:PassRole to any role (no tag condition)")
        if any(grants(s, a) for a in GROUP_RULES):
            tags = _list(condition.get("StringEquals", {}).get("aws:ResourceTag/firebreak:managed", []))
            if not tags or not set(tags) <= {"isolation", "pass-through"}:
                found.append(f"{sid}: changes rules of security groups Firebreak did not create")
            if any(grants(s, a) for a in GROUP_RULES if a.startswith("ec2:Authorize")) and tags != ["pass-through"]:
                found.append(f"{sid}: adds rules to a group other than the pass-through (opens the isolation group)")
        if grants(s, "ec2:ModifyInstanceAttribute") and condition.get("StringEquals", {}).get(
                "ec2:Attribute") != "disableApiTermination":
            found.append(f"{sid}: ec2:ModifyInstanceAttribute of any attribute (user data, groups, block devices)")
        resources = _list(s.get("Resource", []))
        launches_from = grants(s, "ec2:RunInstances") and any("::image/" in r or "::snapshot/" in r for r in resources)
        registers_from = grants(s, "ec2:RegisterImage") and any("::snapshot/" in r for r in resources)
        if (launches_from or registers_from) and _list(
                condition.get("StringEquals", {}).get("ec2:Owner", [])) != OWN_ACCOUNT:
            found.append(f"{sid}: launches or registers from images or snapshots of any owner")
        if grants(s, "ec2:DeleteNetworkAclEntry") and not condition.get("StringEquals", {}).get(
                "aws:ResourceTag/firebreak:block-ip"):
            found.append(f"{sid}: ec2:DeleteNetworkAclEntry on network ACLs Firebreak did not block in")
        if grants(s, "s3:GetObject") and not all(r in READABLE for r in _list(s["Resource"])):
            found.append(f"{sid}: s3:GetObject beyond Firebreak's buckets, CloudTrail's and the log archive")
        if grants(s, "ec2:CreateTags") or grants(s, "ec2:DeleteTags"):
            at_creation = bool(condition.get("StringEquals", {}).get("ec2:CreateAction"))
            keys = condition.get("ForAllValues:StringEquals", {}).get("aws:TagKeys", [])
            if not at_creation and not (keys and all(k.startswith("firebreak:") and k != "firebreak:managed"
                                                      for k in _list(keys))
                                        and condition.get("Null", {}).get("aws:TagKeys") == "false"):
                found.append(f"{sid}: tags resources with keys other than firebreak:incident/request "
                             "outside of creation (could forge firebreak:managed)")
        for action, created in (("ec2:RunInstances", ":instance/"), ("ec2:RegisterImage", "::image/")):
            creates = grants(s, action) and any(created in r for r in _list(s["Resource"]))
            tagged = (condition.get("StringEquals", {}).get("aws:RequestTag/firebreak:managed") == REPLACEMENT
                      and condition.get("Null", {}).get("aws:RequestTag/firebreak:incident") == "false")
            if creates and not tagged:
                found.append(f"{sid}: {action} creates resources not tagged as Firebreak's replacements")
        for action in ("ec2:TerminateInstances", "ec2:DeregisterImage"):
            if grants(s, action) and condition.get("StringEquals", {}).get(
                    "aws:ResourceTag/firebreak:managed") != REPLACEMENT:
                found.append(f"{sid}: {action} beyond Firebreak's own replacements")
        if grants(s, "ssm:SendCommand"):
            documents = [r for r in _list(s["Resource"]) if ":document/" in r]
            if not documents or not all(d in DOCUMENTS for d in documents):
                found.append(f"{sid}: ssm:SendCommand of documents other than AWS-RunPatchBaseline and "
                             f"firebreak-* {documents}")
        if grants(s, "ec2:ModifySnapshotAttribute") and (
                condition.get("Null", {}).get("aws:ResourceTag/firebreak:incident") != "false"
                or condition.get("StringEquals", {}).get("ec2:Attribute") != "createVolumePermission"):
            found.append(f"{sid}: shares snapshots Firebreak did not take (no firebreak:incident tag condition)")
        if grants(s, "ec2:ModifySnapshotAttribute") and condition.get("StringEquals", {}).get(
                "ec2:Add/userId") != "${ForensicsAccountId}":
            found.append(f"{sid}: shares snapshots with any account (no ec2:Add/userId condition)")
        if grants(s, "s3:PutObject") and not all(r in WRITABLE for r in _list(s["Resource"])):
            found.append(f"{sid}: s3:PutObject beyond the firebreak-evidence-* and firebreak-athena-results-* "
                         "buckets")
        if any(grants(s, a) for a in ("kms:Decrypt", "kms:CreateGrant")) and not fnmatchcase(
                str(condition.get("StringLike", {}).get("kms:ViaService", "")), "ec2.*.amazonaws.com"):
            found.append(f"{sid}: KMS use outside of EC2 (no kms:ViaService condition)")
        if grants(s, "wafv2:UpdateIPSet") and not all("/ipset/firebreak-" in r for r in _list(s["Resource"])):
            found.append(f"{sid}: wafv2:UpdateIPSet beyond firebreak-* IP sets")
    if not any(s["Effect"] == "Deny" and grants(s, "ec2:ModifySnapshotAttribute")
               and s.get("Condition", {}).get("StringEquals", {}).get("ec2:Add/group") == "all"
               for s in policy["Statement"]):
        found.append("no Deny of sharing snapshots publicly (ec2:Add/group all)")
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny" and not s.get("Condition")]
    for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"):
        if not any(grants(s, action) and covers(s, "arn:aws:s3:::firebreak-evidence-123456789012") for s in denies):
            found.append(f"no Deny of {action} on Firebreak's own buckets (firebreak*)")
    for arn in OWN:
        for action in OWN_CHANGES:
            if not any(grants(s, action) and covers(s, arn) for s in denies):
                found.append(f"no Deny of {action} on Firebreak's own {arn}")
    return found


def test_no_allow_statement_opens_a_way_to_escalate():
    assert problems(POLICY) == []


def _with(change):
    policy = copy.deepcopy(POLICY)
    change(policy["Statement"])
    return policy


def _sid(statements, sid):
    return next(s for s in statements if s.get("Sid") == sid)


WEAKENINGS = {
    "put inline policies": lambda ss: ss.append({"Effect": "Allow", "Action": "iam:Put*Policy", "Resource": "*"}),
    "new policy versions": lambda ss: ss.append({"Effect": "Allow", "Action": "iam:CreatePolicyVersion",
                                                 "Resource": "arn:aws:iam::*:policy/*"}),
    "attach without iam:PolicyARN": lambda ss: _sid(ss, "QuarantineWithAwsDenyAllOnly").pop("Condition"),
    "attach any managed policy": lambda ss: _sid(ss, "QuarantineWithAwsDenyAllOnly").update(
        Condition={"ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}}),
    "PassRole on *": lambda ss: _sid(ss, "PassOnlyRestorableInstanceRolesToEc2").update(Resource="*"),
    "PassRole to any role": lambda ss: _sid(ss, "PassOnlyRestorableInstanceRolesToEc2").update(
        Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    "open any security group": lambda ss: _sid(ss, "OpenOnlyThePassThroughGroupWhileItIsUsed").pop("Condition"),
    "close any security group": lambda ss: _sid(ss, "CloseRulesOfFirebreakGroupsOnly").pop("Condition"),
    "open the isolation group": lambda ss: _sid(ss, "OpenOnlyThePassThroughGroupWhileItIsUsed").update(
        Condition={"StringEquals": {"aws:ResourceTag/firebreak:managed": ["isolation", "pass-through"]}}),
    "any instance attribute": lambda ss: _sid(ss, "TerminationProtection").pop("Condition"),
    "launch from any image": lambda ss: _sid(ss, "LaunchReplacementsFromOwnImagesOnly").pop("Condition"),
    "register from any snapshot": lambda ss: _sid(ss, "RegisterReplacementImagesFromOwnSnapshotsOnly").pop("Condition"),
    "share with any account": lambda ss: _sid(ss, "EvidenceShareOnlyFirebreakSnapshots")["Condition"][
        "StringEquals"].pop("ec2:Add/userId"),
    "read any logs bucket": lambda ss: _sid(ss, "EvidenceReadTheLogArchiveBucketOnly").update(
        Resource=["arn:aws:s3:::*logs*", "arn:aws:s3:::*logs*/*"]),
    "delete entries of any NACL": lambda ss: _sid(ss, "UnblockOnlyInNetworkAclsFirebreakBlockedIn").pop("Condition"),
    "foreign firebreak-* SSM document": lambda ss: _sid(ss, "EvidenceMemoryThroughFirebreakDocuments").update(
        Resource=["arn:aws:ssm:*:*:document/firebreak-*", "arn:aws:ec2:*:*:instance/*"]),
    "forge the managed tag": lambda ss: _sid(ss, "TagInstancesWithFirebreakKeysOnly").update(
        Resource=["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:security-group/*"], Condition={
            "ForAllValues:StringEquals": {"aws:TagKeys": ["firebreak:incident", "firebreak:managed"]},
            "Null": {"aws:TagKeys": "false"}}),
    "delete evidence": lambda ss: ss.append({"Effect": "Allow", "Action": "ec2:DeleteSnapshot",
                                             "Resource": "arn:aws:ec2:*::snapshot/*"}),
    "NACLs on *": lambda ss: _sid(ss, "BlockIpInNetworkAcls").update(Resource="*"),
    "any WAF IP set": lambda ss: _sid(ss, "BlockIpInFirebreakWafIpSetsOnly").update(
        Resource="arn:aws:wafv2:*:*:*/ipset/*/*"),
    "share any snapshot": lambda ss: _sid(ss, "EvidenceShareOnlyFirebreakSnapshots").pop("Condition"),
    "share snapshots publicly": lambda ss: ss.remove(_sid(ss, "EvidenceNeverSharePublicly")),
    "write to any bucket": lambda ss: _sid(ss, "EvidenceBucketWriteAndReadBack").update(Resource="arn:aws:s3:::*/*"),
    "delete evidence objects": lambda ss: ss.append({"Effect": "Allow", "Action": "s3:DeleteObjectVersion",
                                                     "Resource": "arn:aws:s3:::firebreak-evidence-*/*"}),
    "use KMS keys directly": lambda ss: _sid(ss, "EvidenceKmsForSnapshotCopiesThroughEc2Only").pop("Condition"),
    "everything": lambda ss: ss.append({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    "launch untagged instances": lambda ss: _sid(ss, "LaunchReplacementsOnlyTaggedAsFirebreaks").pop("Condition"),
    "terminate any tagged instance": lambda ss: _sid(ss, "RemoveOnlyFirebreakReplacements").update(
        Condition={"Null": {"aws:ResourceTag/firebreak:incident": "false"}}),
    "run any shell command": lambda ss: _sid(ss, "EvidenceMemoryThroughFirebreakDocuments").update(
        Resource=["arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ec2:*:*:instance/*"]),
    "run any SSM document": lambda ss: _sid(ss, "PatchWithRunPatchBaselineOnly").update(
        Resource=["arn:aws:ssm:*::document/*", "arn:aws:ec2:*:*:instance/*"]),
    "rewrite Firebreak's own bucket policies": lambda ss: ss.remove(
        _sid(ss, "DenyBucketPolicyChangesToFirebreakBuckets")),
    "no self-protection": lambda ss: ss.remove(_sid(ss, "DenyIamChangesToFirebreakItself")),
}


@pytest.mark.parametrize("weakening", sorted(WEAKENINGS))
def test_the_plain_check_catches_each_weakening(weakening):
    assert problems(_with(WEAKENINGS[weakening])), f"{weakening} went unnoticed"


def analyse(policy: dict) -> list:
    parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    found = parliament.analyze_policy_string(json.dumps(policy, indent=2), include_community_auditors=True).findings
    return [parliament.enhance_finding(f) for f in found]


# parliament reads actions, not conditions: it reports AttachUserPolicy whatever the
# iam:PolicyARN condition says. That one finding is accepted only while the plain check
# above confirms the condition (test_no_allow_statement_opens_a_way_to_escalate).
# Likewise CreateEC2WithExistingIP (iam:PassRole + ec2:RunInstances, replace-instance): the
# plain check confirms PassRole only of roles tagged firebreak:restorable=true, to EC2, and
# RunInstances only of instances tagged firebreak:managed=replacement.
CONDITIONED = {"AttachUserPolicy", "AttachRolePolicy", "CreateEC2WithExistingIP"}


def test_parliament_finds_no_privilege_escalation_and_no_resource_star():
    assert problems(POLICY) == [], "the condition that excuses parliament's Attach*Policy finding is missing"
    findings = analyse(POLICY)
    escalations = [f.location for f in findings if f.issue == "PRIVILEGE_ESCALATION"]
    assert [e for e in escalations if e["type"] not in CONDITIONED] == []
    assert [f.detail for f in findings if f.issue == "RESOURCE_STAR"] == []
    assert [f.issue for f in findings if f.severity in ("HIGH", "CRITICAL") and f.issue != "PRIVILEGE_ESCALATION"] == []


def test_parliament_would_have_caught_the_old_policy():
    """The finding of issue 10: inline policy writes on *. The analyser sees it, so the
    test above can fail."""
    old = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:PutRolePolicy"], "Resource": "*"},
        {"Effect": "Allow", "Action": "ec2:AuthorizeSecurityGroupIngress", "Resource": "*"}]}
    findings = analyse(old)
    assert {"PutUserPolicy"} <= {f.location["type"] for f in findings if f.issue == "PRIVILEGE_ESCALATION"}
    assert any("ec2:AuthorizeSecurityGroupIngress" in f.detail for f in findings if f.issue == "RESOURCE_STAR")


# ------------------------------------------------------------------------ issue 22's paths, as IAM decides
ACCOUNT, FORENSICS, ATTACKER, LOG_ARCHIVE = "123456789012", "111122223333", "999999999999", "org-log-archive"


def deployed(policy: dict = POLICY) -> dict:
    """The policy as attached: its placeholders filled in as iam/README.md says."""
    text = json.dumps(policy)
    for name, value in (("AWS::AccountId", ACCOUNT), ("ForensicsAccountId", FORENSICS),
                        ("LogArchiveBucket", LOG_ARCHIVE)):
        text = text.replace("${" + name + "}", value)
    assert "${" not in text
    return json.loads(text)


INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc1234567890def"
GROUP = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0prod"
SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0evidence"
IMAGE = "arn:aws:ec2:us-east-1::image/ami-0attacker"
REPLACEMENT_TAGS = {"aws:RequestTag/firebreak:managed": "replacement", "aws:RequestTag/firebreak:incident": "7",
               "aws:TagKeys": ["firebreak:managed", "firebreak:incident"]}
LAUNCH = {INSTANCE: REPLACEMENT_TAGS, f"arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-1": {}}

# (attack, legitimate call beside it): each an IAM request (action, {resource ARN: its keys}).
PATHS = {
    "1 a firebreak-* SSM document shared from another account": (
        ("ssm:SendCommand", {f"arn:aws:ssm:us-east-1:{ATTACKER}:document/firebreak-CollectMemory": {},
                             INSTANCE: {}}),
        ("ssm:SendCommand", {f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/firebreak-CollectMemory": {},
                             INSTANCE: {}})),
    "4a opening a group other than the pass-through (the isolation group)": (
        ("ec2:AuthorizeSecurityGroupIngress", {GROUP: {"aws:ResourceTag/firebreak:managed": "isolation"}}),
        ("ec2:AuthorizeSecurityGroupIngress", {GROUP: {"aws:ResourceTag/firebreak:managed": "pass-through"}})),
    "4a opening a production group": (
        ("ec2:AuthorizeSecurityGroupEgress", {GROUP: {}}),
        ("ec2:RevokeSecurityGroupEgress", {GROUP: {"aws:ResourceTag/firebreak:managed": "isolation"}})),
    "4b user data through ModifyInstanceAttribute": (
        ("ec2:ModifyInstanceAttribute", {INSTANCE: {"ec2:Attribute": "userData"}}),
        ("ec2:ModifyInstanceAttribute", {INSTANCE: {"ec2:Attribute": "disableApiTermination"}})),
    "4b security groups through ModifyInstanceAttribute": (
        ("ec2:ModifyInstanceAttribute", {INSTANCE: {"ec2:Attribute": "groupSet"}}), None),
    "4b block devices through ModifyInstanceAttribute": (
        ("ec2:ModifyInstanceAttribute", {INSTANCE: {"ec2:Attribute": "blockDeviceMapping"}}), None),
    "4c a replacement launched from an attacker's image": (
        ("ec2:RunInstances", {**LAUNCH, IMAGE: {"ec2:Owner": ATTACKER}}),
        ("ec2:RunInstances", {**LAUNCH, IMAGE: {"ec2:Owner": ACCOUNT}})),
    "4c a replacement image registered from an attacker's snapshot": (
        ("ec2:RegisterImage", {"arn:aws:ec2:us-east-1::image/*": REPLACEMENT_TAGS, SNAPSHOT: {"ec2:Owner": ATTACKER}}),
        ("ec2:RegisterImage", {"arn:aws:ec2:us-east-1::image/*": REPLACEMENT_TAGS, SNAPSHOT: {"ec2:Owner": ACCOUNT}})),
    "4d a self-tagged snapshot shared with any account": (
        ("ec2:ModifySnapshotAttribute", {SNAPSHOT: {"aws:ResourceTag/firebreak:incident": "7",
                                                    "ec2:Attribute": "createVolumePermission",
                                                    "ec2:Add/userId": ATTACKER}}),
        ("ec2:ModifySnapshotAttribute", {SNAPSHOT: {"aws:ResourceTag/firebreak:incident": "7",
                                                    "ec2:Attribute": "createVolumePermission",
                                                    "ec2:Add/userId": FORENSICS}})),
    "4e objects of any bucket whose name contains logs": (
        ("s3:GetObject", {"arn:aws:s3:::payroll-exports-logs/2026/salaries.csv": {}}),
        ("s3:GetObject", {f"arn:aws:s3:::{LOG_ARCHIVE}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz": {}})),
    "20d deleting entries of a network ACL Firebreak never blocked in": (
        ("ec2:DeleteNetworkAclEntry", {f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-acl/acl-0prod": {}}),
        ("ec2:DeleteNetworkAclEntry", {f"arn:aws:ec2:us-east-1:{ACCOUNT}:network-acl/acl-0prod":
                                       {"aws:ResourceTag/firebreak:block-ip": "firebreak"}})),
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_escalation_path_of_issue_22_is_refused_and_the_legitimate_call_is_not(path):
    attack, legitimate = PATHS[path]
    policy = deployed()
    assert not decide(policy, *attack), f"{path}: allowed"
    if legitimate:
        assert decide(policy, *legitimate), f"{path}: the call Firebreak itself makes is refused too"


def test_the_evaluator_would_have_let_each_path_through_the_old_statements():
    """The refusals above come from the new conditions: with each removed (the weakenings
    above), the evaluator allows the attack."""
    for path, weakening in (("4b user data through ModifyInstanceAttribute", "any instance attribute"),
                            ("4c a replacement launched from an attacker's image", "launch from any image"),
                            ("4d a self-tagged snapshot shared with any account", "share with any account"),
                            ("4e objects of any bucket whose name contains logs", "read any logs bucket"),
                            ("1 a firebreak-* SSM document shared from another account",
                             "foreign firebreak-* SSM document"),
                            ("20d deleting entries of a network ACL Firebreak never blocked in",
                             "delete entries of any NACL")):
        assert decide(deployed(_with(WEAKENINGS[weakening])), *PATHS[path][0]), path
