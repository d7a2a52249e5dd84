"""AwsSessions against moto (in-process and over HTTP) and botocore's Stubber."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber

from aws.errors import AwsActionError, aws_errors
from aws.sessions import AwsSessions, UnknownAccount
from core.clock import ManualClock

OTHER_ACCOUNT = "111111111111"
ROLE_ARN = f"arn:aws:iam::{OTHER_ACCOUNT}:role/FirebreakResponder"
MOTO_DEFAULT_ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": MOTO_DEFAULT_ACCOUNT}, "Action": "sts:AssumeRole"}
        ],
    }
)


def make_config(region="eu-west-1", retry_mode="standard", max_attempts=5):
    return SimpleNamespace(default_region=region, retry_mode=retry_mode, max_attempts=max_attempts)


def create_role_in_other_account():
    """moto keys state by account; this header makes the IAM call land in OTHER_ACCOUNT."""
    iam = boto3.client("iam")
    iam.meta.events.register(
        "before-sign.iam.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", OTHER_ACCOUNT)
    )
    return iam.create_role(RoleName="FirebreakResponder", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def count_calls(client, event: str) -> list:
    seen: list = []
    client.meta.events.register(event, lambda **kwargs: seen.append(kwargs))
    return seen


# ---------------------------------------------------------------- client configuration


def test_client_uses_configured_region_retries_and_user_agent(moto_inprocess):
    sessions = AwsSessions(make_config(region="eu-west-1", retry_mode="adaptive", max_attempts=7))

    ec2 = sessions.client("ec2")
    assert ec2.meta.region_name == "eu-west-1"  # config wins over AWS_DEFAULT_REGION=us-east-1
    assert ec2.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    assert sessions.client("ec2", region="ap-southeast-2").meta.region_name == "ap-southeast-2"

    agents = []
    ec2.meta.events.register("before-sign.ec2.*", lambda request, **_: agents.append(request.headers["User-Agent"]))
    ec2.describe_regions()
    assert "firebreak" in agents[0]  # CloudTrail's userAgent shows which calls were Firebreak's


@pytest.mark.parametrize("retry_mode", ["standard", "legacy"])
def test_max_attempts_counts_every_try_and_unreachable_endpoint_is_explained(aws_env, monkeypatch, retry_mode):
    with socket.socket() as sock:  # a port nothing listens on: connection refused at once
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    ec2 = AwsSessions(make_config(retry_mode=retry_mode, max_attempts=2)).client("ec2")
    sends = count_calls(ec2, "before-send.ec2.DescribeInstances")

    with pytest.raises(AwsActionError) as caught, aws_errors("ec2"):
        ec2.describe_instances()

    assert len(sends) == 2  # max_attempts: 2 means two tries in total, as in ~/.aws/config
    assert caught.value.code == "EndpointConnectionError"
    assert dead in caught.value.message and "AWS_ENDPOINT_URL" in caught.value.message


# ---------------------------------------------------------------- where clients talk to


def test_client_follows_aws_endpoint_url_to_moto_server(moto_endpoint):
    sessions = AwsSessions(make_config(region="us-east-1"))
    ec2 = sessions.client("ec2")
    assert ec2.meta.endpoint_url == moto_endpoint

    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    other = boto3.client("ec2")  # plain boto3, same environment: sees the server's state
    assert [v["VpcId"] for v in other.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]] == [vpc_id]
    reservations = other.describe_instances(InstanceIds=[instance_id])["Reservations"]
    assert reservations[0]["Instances"][0]["State"]["Name"] in ("pending", "running")
    with urllib.request.urlopen(f"{moto_endpoint}/moto-api/data.json") as response:
        assert vpc_id in response.read().decode()  # the server itself holds it


def test_moto_server_state_is_reset_between_tests(moto_endpoint):
    vpcs = AwsSessions(make_config(region="us-east-1")).client("ec2").describe_vpcs()["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["172.31.0.0/16"]  # only moto's default VPC


def test_client_in_process_moto(moto_inprocess):
    ec2 = AwsSessions(make_config(region="us-east-1")).client("ec2")
    assert ec2.meta.endpoint_url == "https://ec2.us-east-1.amazonaws.com"  # the real one, intercepted

    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    seen = boto3.client("ec2").describe_instances()["Reservations"]
    assert [i["InstanceId"] for r in seen for i in r["Instances"]] == [instance_id]


# ---------------------------------------------------------------- cross-account


def test_mapped_account_acts_as_assumed_role_in_that_account(moto_inprocess):
    assert create_role_in_other_account() == ROLE_ARN
    sessions = AwsSessions(make_config(region="us-east-1"), {OTHER_ACCOUNT: (ROLE_ARN, None)})

    identity = sessions.client("sts", account=OTHER_ACCOUNT).get_caller_identity()
    assert identity["Account"] == OTHER_ACCOUNT
    assert identity["Arn"] == f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/FirebreakResponder/firebreak"

    for own in (None, MOTO_DEFAULT_ACCOUNT):  # default credential chain
        assert sessions.client("sts", account=own).get_caller_identity()["Account"] == MOTO_DEFAULT_ACCOUNT
    with pytest.raises(UnknownAccount):  # never the default chain standing in for an unmapped account
        sessions.client("sts", account="222222222222")

    # Resources made through the role live in the other account only.
    vpc_id = sessions.client("ec2", account=OTHER_ACCOUNT).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    home = sessions.client("ec2").describe_vpcs()["Vpcs"]
    assert vpc_id not in [v["VpcId"] for v in home]


def test_assumed_credentials_are_cached_until_five_minutes_before_expiry(moto_inprocess):
    sts = boto3.client("sts")
    assumes = count_calls(sts, "after-call.sts.AssumeRole")
    clock = ManualClock(datetime.now(timezone.utc))
    second_role = "arn:aws:iam::222222222222:role/FirebreakResponder"
    sessions = AwsSessions(
        make_config(region="us-east-1"),
        {OTHER_ACCOUNT: (ROLE_ARN, None), "222222222222": (second_role, None)},
        now=clock.now,
        sts_client_factory=lambda: sts,
    )

    for _ in range(3):
        assert sessions.client("sts", account=OTHER_ACCOUNT).get_caller_identity()["Account"] == OTHER_ACCOUNT
    assert len(assumes) == 1
    expires = assumes[0]["parsed"]["Credentials"]["Expiration"]
    assert expires - clock.now() > timedelta(minutes=55)  # DurationSeconds 3600 was asked for

    clock.advance(seconds=(expires - timedelta(minutes=5) - clock.now()).total_seconds() - 1)
    sessions.client("ec2", account=OTHER_ACCOUNT)
    assert len(assumes) == 1  # still fresh one second before the refresh margin

    clock.advance(seconds=1)
    refreshed = sessions.client("sts", account=OTHER_ACCOUNT)
    assert len(assumes) == 2
    assert refreshed.get_caller_identity()["Account"] == OTHER_ACCOUNT

    sessions.client("sts", account="222222222222")
    assert len(assumes) == 3  # each account has its own credentials


def test_parallel_first_use_assumes_the_role_once(moto_inprocess):
    sts = boto3.client("sts")
    assumes = count_calls(sts, "after-call.sts.AssumeRole")
    sts.meta.events.register("before-call.sts.AssumeRole", lambda **_: time.sleep(0.05))  # widen the race
    sessions = AwsSessions(
        make_config(region="us-east-1"), {OTHER_ACCOUNT: (ROLE_ARN, None)}, sts_client_factory=lambda: sts
    )
    start = threading.Barrier(8)

    def first_use(_):
        start.wait()
        return sessions.client("sts", account=OTHER_ACCOUNT).get_caller_identity()["Account"]

    with ThreadPoolExecutor(8) as pool:
        accounts = list(pool.map(first_use, range(8)))
    assert accounts == [OTHER_ACCOUNT] * 8
    assert len(assumes) == 1  # a playbook fanning out does not storm STS


ASSUME_RESPONSE = {
    "Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE12",
        "SecretAccessKey": "s" * 40,
        "SessionToken": "token",
        "Expiration": datetime(2030, 1, 1, tzinfo=timezone.utc),
    },
    "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:firebreak", "Arn": f"{ROLE_ARN}/firebreak"},
}


@pytest.mark.parametrize("external_id", ["firebreak-ext-7f3a", None])
def test_assume_role_sends_exact_parameters(aws_env, external_id):
    sts = boto3.client("sts", region_name="us-east-1")
    expected = {"RoleArn": ROLE_ARN, "RoleSessionName": "firebreak", "DurationSeconds": 3600}
    if external_id:
        expected["ExternalId"] = external_id  # and absent entirely when not configured
    sessions = AwsSessions(make_config(), {OTHER_ACCOUNT: (ROLE_ARN, external_id)}, sts_client_factory=lambda: sts)

    with Stubber(sts) as stub:
        stub.add_response("assume_role", ASSUME_RESPONSE, expected)
        client = sessions.client("ec2", account=OTHER_ACCOUNT)
        stub.assert_no_pending_responses()
    assert client.meta.region_name == "eu-west-1"


def test_refused_assume_role_is_reported_with_the_aws_code(aws_env):
    sts = boto3.client("sts", region_name="us-east-1")
    sessions = AwsSessions(make_config(), {OTHER_ACCOUNT: (ROLE_ARN, "wrong")}, sts_client_factory=lambda: sts)

    with Stubber(sts) as stub:
        stub.add_client_error(
            "assume_role",
            "AccessDenied",
            f"User is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}",
            403,
        )
        with pytest.raises(AwsActionError) as caught:
            sessions.client("ec2", account=OTHER_ACCOUNT)

    assert caught.value.code == "AccessDenied"
    assert caught.value.message.startswith("AWS refused sts:AssumeRole (AccessDenied): User is not authorized")
    assert ROLE_ARN in caught.value.message


def test_the_assumed_role_session_names_the_request(moto_inprocess):
    """CloudTrail in the target account attributes each call to the request that made it."""
    from aws.actions.base import session_name
    from core.containment.catalog import Job

    create_role_in_other_account()
    sessions = AwsSessions(make_config(region="us-east-1"), {OTHER_ACCOUNT: (ROLE_ARN, "fb-external-id")})
    request = Job("isolate-instance", "i-0123456789abcdef0", {}, OTHER_ACCOUNT, "us-east-1", 7, request_id=12)
    arn = sessions.client("sts", account=OTHER_ACCOUNT, session_name=session_name(request)) \
        .get_caller_identity()["Arn"]
    assert arn.endswith("assumed-role/FirebreakResponder/firebreak-C12")
    planning = Job("isolate-instance", "i-0123456789abcdef0", {}, OTHER_ACCOUNT, "us-east-1", 7)
    assert session_name(planning) == "firebreak-plan-incident-7"
