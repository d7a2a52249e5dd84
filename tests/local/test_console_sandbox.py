"""The local workspace without Slack and without AWS credentials starts the AWS sandbox and
points every AWS call at it (issue 13): /contain isolate-instance on an instance of the
sandbox's inventory, approved by a second local user, isolates it. The root hands the
sandbox's endpoint and credentials to the AWS sessions; the environment is left alone."""

import io
import os

import boto3
import pytest

from composition import sandbox
from local.console import Console
from tests.support.slack import settled

# What the sandbox used to set for the process (it no longer does); recorded by monkeypatch so
# the test leaves no trace whatever happens.
_TOUCHED = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION", "NO_PROXY")


@pytest.fixture
def no_aws_credentials(aws_env, monkeypatch):
    for name in _TOUCHED:
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)
    assert not sandbox.aws_sandbox.has_credentials()


@pytest.fixture
def local(settings, no_aws_credentials):
    ws, local_aws = sandbox.local_workspace(settings, record=None, threads=4)
    yield ws, local_aws
    ws.stop()
    local_aws.stop()


def sandbox_client(service, endpoint):
    """A client of the test's own, to look inside the sandbox (nothing in the environment points there)."""
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="sandbox", aws_secret_access_key="sandbox")


def eni_groups(endpoint, instance_id):
    ec2 = sandbox_client("ec2", endpoint)
    found = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    return [sorted(g["GroupId"] for g in n["Groups"]) for n in found["NetworkInterfaces"]]


def approved_in_console(ws, con, out, command):
    """Declare an incident in the console, send `command` in its channel as alice, press
    Approve as bob; returns (incident, the succeeded request)."""
    from core.containment.flow import store

    con.handle("/incident declare sev2 Miner on web-1")
    [incident] = settled(ws, lambda: [i for i in ws.services.incidents.recent() if i.summary_ts])
    con.handle(f":in #{incident.channel_name}")
    con.handle(command)
    settled(ws, lambda: "Approve" in out.getvalue())
    [approve] = [n for n, (c, _, _) in con.controls.items() if c.label == "Approve"]
    con.handle(":as bob")
    con.handle(str(approve))
    [request] = settled(ws, lambda: [r for r in store(ws.services).for_incident(incident.id)
                                     if r.state == "succeeded"], timeout=30)
    return incident, request


@pytest.mark.slow
def test_without_credentials_contain_isolates_an_instance_of_the_sandbox(local):
    ws, local_aws = local
    inventory = local_aws.sandbox.inventory
    instance = inventory.get("instance", "web-1")
    assert not any(name in os.environ for name in _TOUCHED), "the process environment is left alone"
    assert ws.services.sandbox is not None and ws.services.sandbox.not_in_use() is None
    before = eni_groups(inventory.endpoint, instance)
    assert before == [sorted(inventory.get("security_group", g) for g in ("web-sg", "app-sg"))]

    out = io.StringIO()
    con = Console(ws, stdin=io.StringIO(":quit\n"), stdout=out)
    con.run()  # the greeting says where AWS calls go
    assert "AWS sandbox at " + local_aws.sandbox.endpoint in out.getvalue()
    con.handle(":sandbox")
    assert instance in out.getvalue() and "web-asg" in out.getvalue()

    _, request = approved_in_console(ws, con, out, f"/contain isolate-instance {instance}")
    assert request.decided_by == ws.user("bob") and request.outcome["verified"]
    after = eni_groups(inventory.endpoint, instance)
    assert after != before and after == [list(request.memory["isolation"].values())]
    asg = sandbox_client("autoscaling", inventory.endpoint)
    members = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])["AutoScalingGroups"][0]["Instances"]
    assert instance not in [m["InstanceId"] for m in members], "isolation takes it out of its Auto Scaling group"


def test_with_credentials_or_a_chosen_endpoint_nothing_changes(aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    chosen = sandbox.for_local_workspace(dict(os.environ), record=None)  # aws_env has (fake) credentials
    assert chosen.sandbox is None and "your AWS credentials" in chosen.notice
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    chosen = sandbox.for_local_workspace(environ, record=None)
    assert chosen.sandbox is None and "AWS_ENDPOINT_URL=http://127.0.0.1:4566" in chosen.notice
    assert environ == {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}


@pytest.mark.slow
def test_without_credentials_evidence_is_collected_into_the_sandboxs_object_lock_bucket(local):
    """The README's promise holds for /evidence too: with no config, the sandbox's Object Lock
    bucket is used; the item is in the manifest with its hash and version, and the object in
    the bucket hashes to it."""
    import hashlib

    ws, local_aws = local
    inventory = local_aws.sandbox.inventory
    instance = inventory.get("instance", "web-1")
    assert ws.services.config.evidence.bucket == "firebreak-evidence-sandbox"
    out = io.StringIO()
    con = Console(ws, stdin=io.StringIO(":quit\n"), stdout=out)
    incident, request = approved_in_console(ws, con, out, f"/evidence collect-instance-data {instance}")
    assert request.label.startswith("E")
    [item] = ws.services.repos.evidence.for_incident(incident.id)
    s3 = sandbox_client("s3", inventory.endpoint)
    body = s3.get_object(Bucket="firebreak-evidence-sandbox", Key=item.detail["key"],
                         VersionId=item.version_id)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == item.sha256 and instance.encode() in body
    con.handle("/evidence list")
    settled(ws, lambda: item.sha256[:12] in out.getvalue())


def test_without_moto_installed_the_workspace_starts_and_says_why_there_is_no_sandbox(settings, no_aws_credentials,
                                                                                     monkeypatch):
    """The production image leaves moto out (requirements/main.txt): `python bot.py` there
    without AWS credentials still starts, and the console says what is missing."""
    real = sandbox.aws_sandbox.importlib.util.find_spec
    monkeypatch.setattr(sandbox.aws_sandbox.importlib.util, "find_spec",
                        lambda name, *a: None if name == "moto" else real(name, *a))
    environ = {}
    chosen = sandbox.for_local_workspace(environ, record=None)
    assert chosen.sandbox is None and environ == {}, "nothing points AWS calls anywhere"
    assert "no AWS sandbox" in chosen.notice and "requirements/dev.txt" in chosen.notice
    ws, local_aws = sandbox.local_workspace(settings, environ=environ, record=None, threads=2)
    try:
        assert chosen.notice in ws.notices
    finally:
        ws.stop()
        local_aws.stop()


@pytest.mark.slow
def test_issue23_item16_the_console_hint_is_said_in_the_console_only(local):
    """`bot.py local --no-console` prints LocalAws.notice and the inventory; the console the
    notice with its `:sandbox` hint."""
    ws, local_aws = local
    assert ":sandbox" not in local_aws.notice and "/contain isolate-instance" in local_aws.notice
    assert ws.notices == (f"{local_aws.notice} :sandbox lists its inventory.",)
    out = io.StringIO()
    Console(ws, stdin=io.StringIO(""), stdout=out).run()
    assert ":sandbox lists its inventory." in out.getvalue()
