"""The AWS sandbox: moto's server on loopback, seeded with a small estate from a data file
(config/sandbox-estate.yaml), so containment, approvals, undo and drills can be tried without
an AWS account.

Seeding always names the sandbox's endpoint and dummy credentials explicitly: whatever the
environment says, it can never create anything in a real account. The bot itself keeps
using boto3's own chain; the composition root points that chain at the sandbox
(AWS_ENDPOINT_URL) when the user has no credentials of their own."""

from __future__ import annotations

import dataclasses

import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config

from aws.sessions import AwsEndpoint, new_session
from core.errors import FirebreakError
from core.yaml_lines import safe_load

SANDBOX_ACCOUNT = "123456789012"  # moto's account
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}


def has_credentials() -> bool:
    """Whether boto3's own chain finds credentials (env, profile, SSO, instance role, ...)."""
    try:
        return new_session().get_credentials() is not None
    except Exception:  # noqa: BLE001 - a broken profile counts as "none found"
        return False


# ---------------------------------------------------------------------- inventory
@dataclass
class Inventory:
    """What the sandbox holds: kind -> {name from the estate file: AWS id}."""

    endpoint: str
    region: str
    account: str = SANDBOX_ACCOUNT
    resources: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, kind: str, name: str, value: str) -> str:
        self.resources.setdefault(kind, {})[name] = value
        return value

    def get(self, kind: str, name: str) -> str | None:
        return self.resources.get(kind, {}).get(name)

    def placeholders(self) -> dict[str, str]:
        """`kind:name` -> id, plus `account`, `region`: what drill scenarios fill in."""
        found = {f"{kind}:{name}": value for kind, names in self.resources.items() for name, value in names.items()}
        return {**found, "account": self.account, "region": self.region}

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "region": self.region, "account": self.account,
                "resources": self.resources}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Inventory":
        return cls(data["endpoint"], data["region"], data.get("account", SANDBOX_ACCOUNT),
                   {k: dict(v) for k, v in data.get("resources", {}).items()})

    def lines(self) -> list[str]:
        out = [f"account {self.account}, region {self.region}, endpoint {self.endpoint}"]
        for kind, names in self.resources.items():
            out.append(f"{kind}:")
            out += [f"  {name:<24} {value}" for name, value in names.items()]
        return out


# ---------------------------------------------------------------------- server
class SandboxError(FirebreakError):
    """The sandbox could not start; the message says why and what to do."""


class SandboxServer:
    """moto's server in a process of its own (aws/moto_double.py), on loopback (port 0: any
    free port). Its moto settings stay in that process; it ends when this process does."""

    START_TIMEOUT = 60.0

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: Path | None = None):
        self.host, self.port, self.state = host, port, state
        self.endpoint = ""
        self.restored = False  # the state file's calls were replayed: the estate is there already
        self._process: subprocess.Popen | None = None

    def start(self) -> str:
        if importlib.util.find_spec("moto") is None:
            raise SandboxError("the AWS sandbox needs moto, which this installation leaves out (the production "
                               "image does); install the development set: pip install --require-hashes "
                               "--no-deps -r requirements/dev.txt")
        project = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "aws.moto_double", "--host", self.host, "--port", str(self.port),
             *(["--state", str(self.state)] if self.state else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=project)
        line = _first_line(self._process, self.START_TIMEOUT)
        try:
            said = json.loads(line)
            self.endpoint, self.restored = said["endpoint"], bool(said.get("restored"))
        except (ValueError, KeyError, TypeError):
            self.stop()
            raise SandboxError(f"the AWS sandbox's server did not start (it said {line.strip()[:200]!r})") from None
        return self.endpoint

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()  # the server stops when its stdin closes
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            process.stdout.close()


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """The server's first line of output, or "" if it exits or says nothing in time."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else ""


# ---------------------------------------------------------------------- seeding
def load_estate(path: Path) -> dict[str, Any]:
    data = safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping (see config/sandbox-estate.yaml)")
    return data


def seed(endpoint: str, estate: dict[str, Any]) -> Inventory:
    """Create the estate in the sandbox at `endpoint`; returns its inventory. moto's id
    generator is seeded first, so every start gives the same ids (i-…, AKIA…, sg-…): the
    shipped samples/ and notes from an earlier session name the same resources."""
    _seed_ids(endpoint)
    region = estate.get("region", "us-east-1")
    inv = Inventory(endpoint, region)
    session = new_session()  # one session: each service model is loaded once

    def client(service: str):
        return session.client(
            service, region_name=region, endpoint_url=endpoint,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"mode": "standard", "total_max_attempts": 2}, proxies={}))

    ec2, iam = client("ec2"), client("iam")
    _network(ec2, estate["vpc"], inv)
    profile = _identities(iam, estate.get("iam", {}), inv)
    _instances(ec2, estate.get("instances", []), profile, inv)
    if estate.get("auto_scaling_group"):
        _auto_scaling(client("autoscaling"), client("elbv2"), ec2, estate["auto_scaling_group"], inv)
    _buckets(client("s3"), estate.get("s3", {}), inv)
    if estate.get("lambda"):
        _function(client("lambda"), iam, estate["lambda"]["function"], inv)
    if estate.get("waf_ip_set"):
        ipset = estate["waf_ip_set"]
        found = client("wafv2").create_ip_set(Name=ipset["name"], Scope=ipset.get("scope", "REGIONAL"),
                                             IPAddressVersion="IPV4", Addresses=[],
                                             Description="Firebreak block-ip (sandbox)")["Summary"]
        inv.add("waf_ip_set", ipset["name"], found["Id"])
    for name in estate.get("ssm_documents", []):
        # Stands in for deploy/evidence-documents.yaml (moto's Run Command runs nothing anyway).
        client("ssm").create_document(Name=name, DocumentType="Command", DocumentFormat="JSON", Content=json.dumps({
            "schemaVersion": "2.2", "description": "Firebreak sandbox stand-in",
            "parameters": {"Bucket": {"type": "String"}, "Prefix": {"type": "String"}},
            "mainSteps": [{"action": "aws:runShellScript", "name": "acquire",
                           "inputs": {"runCommand": ["echo sandbox"]}}]}))
        inv.add("ssm_document", name, name)
    if estate.get("sns", {}).get("escalation_topic"):
        name = estate["sns"]["escalation_topic"]
        inv.add("sns_topic", name, client("sns").create_topic(Name=name)["TopicArn"])
    return inv


ID_SEED = 23  # any fixed number; changing it changes every id in samples/ (tests/local/test_readme_tour.py)


def _seed_ids(endpoint: str) -> None:
    """moto's `/moto-api/seed`: its random ids follow from the seed and the order of calls."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    opener.open(urllib.request.Request(f"{endpoint}/moto-api/seed?a={ID_SEED}", method="POST"), timeout=10).read()


def _tags(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, {"Key": "env", "Value": "sandbox"}]}]


def _network(ec2, vpc_spec: dict, inv: Inventory) -> None:
    vpc = ec2.create_vpc(CidrBlock=vpc_spec["cidr"], TagSpecifications=_tags(vpc_spec["name"], "vpc"))["Vpc"]["VpcId"]
    inv.add("vpc", vpc_spec["name"], vpc)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in vpc_spec.get("subnets", []):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet["cidr"], AvailabilityZone=subnet["zone"],
                                TagSpecifications=_tags(subnet["name"], "subnet"))["Subnet"]["SubnetId"]
        inv.add("subnet", subnet["name"], sid)
        if subnet.get("public"):
            ec2.associate_route_table(RouteTableId=public_rt, SubnetId=sid)
    for acl in vpc_spec.get("network_acls", []):
        acl_id = ec2.create_network_acl(VpcId=vpc, TagSpecifications=_tags(acl["name"], "network-acl")
                                        )["NetworkAcl"]["NetworkAclId"]
        for egress in (False, True):
            ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                         Egress=egress, CidrBlock="0.0.0.0/0")
        inv.add("network_acl", acl["name"], acl_id)
        subnets = {inv.get("subnet", s) for s in acl.get("subnets", [])}
        found = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
        for association in (a for n in found for a in n.get("Associations", []) if a["SubnetId"] in subnets):
            ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"],
                                                NetworkAclId=acl_id)
    for group in vpc_spec.get("security_groups", []):
        gid = ec2.create_security_group(GroupName=group["name"], Description=group["description"],
                                        VpcId=vpc)["GroupId"]
        for rule in group.get("ingress", []):
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": rule["port"], "ToPort": rule["port"],
                "IpRanges": [{"CidrIp": rule["cidr"]}]}])
        inv.add("security_group", group["name"], gid)


def _identities(iam, spec: dict, inv: Inventory) -> str | None:
    profile = None
    if spec.get("role"):
        role = spec["role"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "ec2.amazonaws.com"}}]}
        arn = iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(trust),
                              Tags=[{"Key": k, "Value": v} for k, v in (role.get("tags") or {}).items()])["Role"]["Arn"]
        inv.add("role", role["name"], arn)
        if role.get("instance_profile"):
            profile = role["instance_profile"]
            iam.create_instance_profile(InstanceProfileName=profile)
            iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role["name"])
            inv.add("instance_profile", profile, profile)
    for user in spec.get("users", []):
        iam.create_user(UserName=user["name"])
        inv.add("user", user["name"], user["name"])
        if user.get("access_key"):
            inv.add("access_key", user["name"], iam.create_access_key(UserName=user["name"])["AccessKey"]["AccessKeyId"])
    return profile


def _instances(ec2, specs: list, profile: str | None, inv: Inventory) -> None:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for spec in specs:
        groups = [inv.get("security_group", g) for g in spec.get("security_groups", [])]
        # Groups on the network interface, not the instance: moto 5.2 unions an instance's
        # launch-time groups into every ENI's view, which would hide what isolation changes.
        found = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=spec.get("type", "t3.micro"),
                                  NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": inv.get("subnet", spec["subnet"]),
                                                      "Groups": groups}],
                                  TagSpecifications=_tags(spec["name"], "instance"))["Instances"][0]
        inv.add("instance", spec["name"], found["InstanceId"])
        inv.add("private_ip", spec["name"], found.get("PrivateIpAddress", ""))
        if profile and spec.get("instance_profile"):
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile}, InstanceId=found["InstanceId"])


def _auto_scaling(autoscaling, elbv2, ec2, spec: dict, inv: Inventory) -> None:
    vpc = next(iter(inv.resources["vpc"].values()))
    members = [inv.get("instance", n) for n in spec.get("instances", [])]
    subnets = ec2.describe_instances(InstanceIds=members)["Reservations"]
    subnet_ids = sorted({i["SubnetId"] for r in subnets for i in r["Instances"]})
    tg = spec.get("target_group")
    tg_arn = None
    if tg:
        tg_arn = elbv2.create_target_group(Name=tg["name"], Protocol="HTTPS", Port=tg["port"], VpcId=vpc,
                                           TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
        inv.add("target_group", tg["name"], tg_arn)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName=f"{spec['name']}-lt",
                               LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=spec["name"], MinSize=0, MaxSize=len(members) + 2, DesiredCapacity=0,
        LaunchTemplate={"LaunchTemplateName": f"{spec['name']}-lt"}, VPCZoneIdentifier=",".join(subnet_ids),
        **({"TargetGroupARNs": [tg_arn]} if tg_arn else {}))
    autoscaling.attach_instances(AutoScalingGroupName=spec["name"], InstanceIds=members)
    inv.add("auto_scaling_group", spec["name"], spec["name"])
    if tg_arn:
        registered = {h["Target"]["Id"] for h in elbv2.describe_target_health(TargetGroupArn=tg_arn)
                      ["TargetHealthDescriptions"]}
        missing = [m for m in members if m not in registered]
        if missing:
            elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": m, "Port": tg["port"]} for m in missing])


def _buckets(s3, spec: dict, inv: Inventory) -> None:
    for bucket in spec.get("buckets", []):
        s3.create_bucket(Bucket=bucket["name"])
        inv.add("bucket", bucket["name"], bucket["name"])
        if bucket.get("public"):
            s3.put_public_access_block(Bucket=bucket["name"], PublicAccessBlockConfiguration={
                "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                "RestrictPublicBuckets": False})
            s3.put_bucket_policy(Bucket=bucket["name"], Policy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket['name']}/*"}]}))
        s3.put_object(Bucket=bucket["name"], Key="README.txt", Body=b"sandbox data\n")
    if spec.get("evidence_bucket"):
        # What /evidence requires of a real one: Object Lock with a COMPLIANCE default retention.
        s3.create_bucket(Bucket=spec["evidence_bucket"], ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(Bucket=spec["evidence_bucket"], ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
        inv.add("evidence_bucket", spec["evidence_bucket"], spec["evidence_bucket"])


def _function(lambda_client, iam, spec: dict, inv: Inventory) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = iam.create_role(RoleName=f"{spec['name']}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
    lambda_client.create_function(FunctionName=spec["name"], Runtime=spec.get("runtime", "python3.12"), Role=role,
                                  Handler=spec.get("handler", "index.handler"), Code={"ZipFile": code.getvalue()})
    inv.add("function", spec["name"], spec["name"])


# ---------------------------------------------------------------------- in use?
class SandboxGuard:
    """Tells core whether this process's AWS calls all go to the sandbox (core.drills.ports.Sandbox).
    Anything else (another endpoint, other credentials, a per-service endpoint) counts as real.
    `chosen` is the endpoint the root handed the session factory (the sandbox it started), if
    any; without it, boto3's chain (the environment) decides where calls go."""

    def __init__(self, inventory: Inventory, chosen: AwsEndpoint | None = None):
        self.inventory = inventory
        self.endpoint, self.account, self.region = inventory.endpoint, inventory.account, inventory.region
        self.chosen = chosen

    def placeholders(self) -> dict[str, str]:
        return self.inventory.placeholders()

    def not_in_use(self) -> str | None:
        """None when AWS calls go to the sandbox; else why they may not."""
        if self.chosen is not None:
            if self.chosen.url != self.endpoint:
                return f"AWS calls go to {self.chosen.url}, not to the sandbox at {self.endpoint}"
            if self.chosen.access_key != DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
                return "the AWS credentials in use are not the sandbox's"
            return None
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if endpoint != self.endpoint:
            return (f"AWS calls go to {endpoint or 'AWS itself'}, not to the sandbox at {self.endpoint}")
        others = sorted(k for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_") and v != self.endpoint)
        if others:
            return f"{', '.join(others)} send some AWS calls elsewhere than the sandbox"
        try:
            creds = new_session().get_credentials()
            key = creds.get_frozen_credentials().access_key if creds is not None else None
        except Exception:  # noqa: BLE001
            key = None
        if key != DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
            return "the AWS credentials in use are not the sandbox's"
        return None


def save_inventory(inventory: Inventory, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(inventory.to_dict(), indent=2) + "\n", encoding="utf-8")


def read_inventory(path: Path) -> Inventory | None:
    try:
        return Inventory.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return None


# ---------------------------------------------------------------------- the whole thing
@dataclass
class Sandbox:
    """A running, seeded sandbox."""

    server: SandboxServer
    inventory: Inventory

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def aws_endpoint(self) -> AwsEndpoint:
        """The endpoint and credentials to hand the session factory so its calls come here."""
        return AwsEndpoint(self.endpoint, DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                           DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def stop(self) -> None:
        self.server.stop()


def start(estate_path: Path, host: str = "127.0.0.1", port: int = 0, state: Path | None = None,
          saved: Inventory | None = None) -> Sandbox:
    """A seeded sandbox. With `state` (and the inventory `saved` when it was recorded) the
    sandbox of the last run comes back as it was, same ids, rather than a new one."""
    if state is not None and saved is None and Path(state).exists():
        Path(state).unlink()  # calls without the inventory they made: start afresh
    server = SandboxServer(host, port, state)
    endpoint = server.start()
    try:
        if server.restored and saved is not None:
            return Sandbox(server, dataclasses.replace(saved, endpoint=endpoint))
        return Sandbox(server, seed(endpoint, load_estate(estate_path)))
    except BaseException:
        server.stop()
        raise
