"""What a responder reads in Slack when an AWS call fails."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

from aws.errors import AwsActionError, aws_errors, describe_aws_error
from aws.sessions import AwsSessions
from core.errors import FirebreakError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # 40 characters, like a real secret key
CONFIG = SimpleNamespace(default_region="us-east-1", retry_mode="standard", max_attempts=2)


def test_moto_client_error_names_call_code_and_request_id(moto_inprocess, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    ec2 = AwsSessions(CONFIG).client("ec2")

    with pytest.raises(AwsActionError) as caught, aws_errors("ec2"):
        ec2.describe_instances(InstanceIds=["i-1234567890abcdef0"])

    failure = caught.value.failure
    assert isinstance(caught.value, FirebreakError)  # the one Slack error handler shows .message
    assert failure.code.startswith("InvalidInstanceID")
    assert failure.operation == "ec2:DescribeInstances"
    assert caught.value.message.startswith(f"AWS refused ec2:DescribeInstances ({failure.code}): ")
    assert "i-1234567890abcdef0" in caught.value.message
    assert failure.request_id and f"(request id {failure.request_id})" in caught.value.message
    assert SECRET not in caught.value.message and "testing" not in caught.value.message
    assert isinstance(caught.value.__cause__, ClientError)  # kept for the logs


def test_without_service_the_operation_is_still_named(moto_inprocess):
    with pytest.raises(ClientError) as caught:
        AwsSessions(CONFIG).client("ec2").describe_instances(InstanceIds=["i-1234567890abcdef0"])
    failure = describe_aws_error(caught.value)
    assert failure.operation == "DescribeInstances"
    assert failure.message.startswith(f"AWS refused DescribeInstances ({failure.code}): ")


def test_missing_credentials_read_as_a_plain_instruction(aws_env, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name)
    ec2 = AwsSessions(CONFIG).client("ec2")

    with pytest.raises(NoCredentialsError) as caught:
        ec2.describe_instances()
    failure = describe_aws_error(caught.value, "ec2")

    assert failure.code == "NoCredentials"
    assert failure.message.startswith("No AWS credentials found for ec2: set AWS_PROFILE")
    assert "\n" not in failure.message


def test_invalid_parameters_name_the_parameter(moto_inprocess):
    with pytest.raises(ParamValidationError) as caught:
        AwsSessions(CONFIG).client("ec2").describe_instances(InstanceIds="i-1234567890abcdef0")
    failure = describe_aws_error(caught.value, "ec2")
    assert failure.code == "ParamValidation"
    assert "InstanceIds" in failure.message and "\n" not in failure.message


def test_credentials_echoed_by_aws_are_masked():
    token = "IQoJb3JpZ2luX2VjE" + "A" * 300
    error = ClientError(
        {
            "Error": {
                "Code": "SignatureDoesNotMatch",
                "Message": f"Bad signature for AKIAIOSFODNN7EXAMPLE using {SECRET} and token {token}",
            },
            "ResponseMetadata": {"RequestId": "req-1"},
        },
        "GetObject",
    )
    message = describe_aws_error(error, "s3").message
    assert SECRET not in message and token[:40] not in message
    assert "AKIAIOSFODNN7EXAMPLE" not in message and "AKIA…MPLE" in message  # still recognisable
    assert message.startswith("AWS refused s3:GetObject (SignatureDoesNotMatch): Bad signature")
