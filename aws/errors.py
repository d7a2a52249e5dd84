"""Turn botocore exceptions into one sentence a responder can act on.

The sentence names the call and AWS's error code (what you search the docs for) and
the request id (what AWS support asks for). Anything that looks like a credential is
masked, because these messages are posted to Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
)

from aws import sandbox_gaps
from core.errors import FirebreakError, NotInSandbox

MAX_DETAIL = 500
_SECRETS = [
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12}([A-Z0-9]{4})\b"), r"\1…\2"),  # access key id
    (re.compile(r"[A-Za-z0-9/+=]{40,}"), "***"),  # secret keys (40) and session tokens (longer)
]


@dataclass(frozen=True)
class AwsFailure:
    code: str  # AWS error code, or a short name for client-side failures
    message: str  # the full sentence to show
    request_id: str | None = None
    operation: str | None = None  # "ec2:DescribeInstances", or "DescribeInstances" if service unknown


class AwsActionError(FirebreakError):
    """An AWS call failed; `.message` is safe to show in Slack."""

    def __init__(self, failure: AwsFailure):
        super().__init__(failure.message)
        self.failure = failure
        self.code = failure.code


class SandboxGapError(AwsActionError, NotInSandbox):
    """An AWS call the sandbox's moto does not implement (aws/sandbox_gaps.py)."""


def _scrub(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def describe_aws_error(exc: BaseException, service: str | None = None) -> AwsFailure:
    """Describe `exc`; pass `service` (e.g. "ec2") so the sentence names the full call."""
    if isinstance(exc, ClientError) and sandbox_gaps.is_moto_page(exc.response):
        operation = f"{service}:{exc.operation_name}" if service else exc.operation_name
        return AwsFailure("NotInSandbox", "not available in the AWS sandbox: "
                          + sandbox_gaps.why(service, exc.operation_name), None, operation)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = str(error.get("Code") or meta.get("HTTPStatusCode") or "Unknown")
        operation = f"{service}:{exc.operation_name}" if service else exc.operation_name
        request_id = meta.get("RequestId") or None
        detail = _scrub(str(error.get("Message") or "no message"))
        sentence = f"AWS refused {operation} ({code}): {detail}"
        if request_id:
            sentence += f" (request id {request_id})"
        return AwsFailure(code, sentence, request_id, operation)
    what = f" for {service}" if service else ""
    if isinstance(exc, NoCredentialsError):
        return AwsFailure(
            "NoCredentials",
            f"No AWS credentials found{what}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run Firebreak with an instance or task role.",
        )
    if isinstance(exc, EndpointConnectionError):
        url = exc.kwargs.get("endpoint_url", "the endpoint")
        return AwsFailure(
            "EndpointConnectionError",
            f"Could not reach AWS{what} at {url}: check the region, network and AWS_ENDPOINT_URL.",
        )
    if isinstance(exc, ParamValidationError):
        return AwsFailure("ParamValidation", f"Firebreak built an invalid AWS request{what}: {_scrub(str(exc))}")
    if isinstance(exc, NoRegionError):
        return AwsFailure("NoRegion", f"No AWS region{what}: set aws.default_region or AWS_DEFAULT_REGION.")
    if isinstance(exc, BotoCoreError):
        return AwsFailure(type(exc).__name__, f"AWS call failed{what}: {_scrub(str(exc))}")
    return AwsFailure(type(exc).__name__, f"Unexpected error during an AWS call{what}: {_scrub(str(exc))}")


@contextmanager
def aws_errors(service: str | None = None) -> Iterator[None]:
    """Re-raise botocore errors inside the block as AwsActionError."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        failure = describe_aws_error(exc, service)
        raise (SandboxGapError if failure.code == "NotInSandbox" else AwsActionError)(failure) from exc
