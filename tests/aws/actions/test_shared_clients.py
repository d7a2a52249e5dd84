"""Clients are built once and shared between jobs (building an EC2 client costs ~20 ms of
CPU), yet each job's audit gets exactly its own AWS calls, failures included."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from aws.actions.base import ActionContext
from aws.errors import AwsActionError
from aws.sessions import AwsSessions
from core.containment.catalog import Job
from core.containment.config import ContainmentConfig
from tests.aws.actions.conftest import AWS


def _context(sessions, request_id, calls):
    job = Job("isolate-instance", f"i-{request_id:017x}", {}, None, "us-east-1", 7, request_id=request_id)
    return ActionContext(sessions, job, calls.append, ContainmentConfig(), "123456789012")


def test_two_jobs_share_clients_and_each_audits_only_its_own_calls(moto_inprocess):
    sessions = AwsSessions(AWS)
    first, second = [], []
    a, b = _context(sessions, 1, first), _context(sessions, 2, second)
    assert a.client("ec2") is b.client("ec2")  # one client, built once

    def describe(ctx, n):
        return ctx.call("ec2", "describe_security_groups", Filters=[{"Name": "group-name", "Values": [f"g{n}"]}])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: describe(a if n % 3 else b, n), range(30)))

    assert len(first) == 20 and len(second) == 10
    assert {c["call"] for c in first + second} == {"ec2:DescribeSecurityGroups"}
    assert all(c["status"] == 200 and c["request_id"] for c in first + second)


def test_a_refused_call_is_audited_with_its_aws_error_code(moto_inprocess):
    calls = []
    ctx = _context(AwsSessions(AWS), 3, calls)
    with pytest.raises(AwsActionError):
        ctx.call("ec2", "describe_instances", InstanceIds=["i-0000000000000dead"])
    [call] = calls
    assert call["call"] == "ec2:DescribeInstances" and call["error"] == "InvalidInstanceID.NotFound"
    assert call["status"] == 400


def test_clients_differ_by_region_and_by_credentials(moto_inprocess):
    sessions = AwsSessions(AWS)
    assert sessions.client("ec2") is sessions.client("ec2", region="us-east-1")
    assert sessions.client("ec2", region="eu-west-1") is not sessions.client("ec2")
    assert sessions.client("ec2", region="eu-west-1").meta.region_name == "eu-west-1"
