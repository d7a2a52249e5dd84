"""Shared by the containment tests: an AWS estate in moto and a workspace driven over HTTP."""

from __future__ import annotations

import dataclasses

import boto3

from core.clock import ManualClock
from composition import local_workspace
from tests.support.slack import settled

REGION = "us-east-1"


def with_containment(settings, **changes):
    """Settings whose containment section has `changes` (e.g. approvers, dry_run)."""
    cfg = settings.config
    return dataclasses.replace(settings, config=cfg.model_copy(update={
        "containment": cfg.containment.model_copy(update=changes)}))


def workspace(settings, clock: ManualClock | None = None, **containment):
    """The local workspace; `containment` changes (callables get the workspace) apply before it starts."""
    def adjust(current, ws):
        return with_containment(current, **{k: v(ws) if callable(v) else v for k, v in containment.items()})

    return local_workspace(settings, clock=clock or ManualClock(), threads=4, adjust=adjust if containment else None)


def declare(ws, user="alice", title="Crypto miner on web host"):
    """Declare from #general; returns once the channel exists and the declarer was answered,
    so later answers (response_url calls) are the containment ones."""
    answered = len(ws.fake.calls_to("response_url"))
    ws.sender.command("/incident", f"declare sev2 {title}", user=ws.user(user), channel=ws.channel("general"))
    incident = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.announce_ts), None))
    ws.fake.wait_for("response_url", count=answered + 1)
    return incident


def contain(ws, incident, text, user="alice"):
    """Send `/contain text` in the incident channel; returns the ack reply."""
    return ws.sender.command("/contain", text, user=ws.user(user), channel=incident.channel_id)


def click(ws, incident, request_id, user="bob", approve=True, sender=None, reason=""):
    """Approve, or Deny: the Deny button opens the reason form, which is then submitted."""
    sender = sender or ws.sender
    pressed = sender.block_action(user=ws.user(user), channel=incident.channel_id, value=str(request_id),
                                  action_id="contain_approve" if approve else "contain_deny")
    if approve:
        return pressed
    forms = len(ws.fake.calls_to("views.open"))
    ws.settle()
    if len(ws.fake.calls_to("views.open")) == forms:
        return pressed  # refused before the form (the answer says why)
    return sender.view_submission(user=ws.user(user), callback_id="contain_deny_reason",
                                  private_metadata=str(request_id),
                                  values={"reason": {"reason": {"type": "plain_text_input", "value": reason}}})


def requests(ws):
    from core.containment.flow import store

    return store(ws.services).in_states("requested", "approved", "executing", "succeeded", "failed",
                                        "failed-unknown", "denied", "expired", "planned", "undone", "already-done")


def wait_state(ws, request_id, *states, timeout=10.0):
    from core.containment.flow import store

    return settled(ws, lambda: (r := store(ws.services).get(request_id)) is not None and r.state in states and r,
                      timeout=timeout)


def instance(region=REGION, with_asg=False):
    """A running instance in a VPC with two security groups; returns (instance id, vpc id, groups)."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    groups = [ec2.create_security_group(GroupName=f"web-{n}", Description="web", VpcId=vpc)["GroupId"]
              for n in range(2)]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    # Groups go on the network interface: moto 5.2 adds an instance's launch-time groups to
    # every attached ENI's view, which would hide what isolation does to the ENI.
    found = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                              NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": groups}],
                              TagSpecifications=[{"ResourceType": "instance",
                                                  "Tags": [{"Key": "Name", "Value": "<!channel> web-1"}]}])
    return found["Instances"][0]["InstanceId"], vpc, subnet, groups


def eni_groups(instance_id, region=REGION):
    ec2 = boto3.client("ec2", region_name=region)
    found = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    return {n["NetworkInterfaceId"]: sorted(g["GroupId"] for g in n["Groups"]) for n in found["NetworkInterfaces"]}
