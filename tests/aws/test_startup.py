"""AWS at start-up: which failures are transient and which refuse (codes as botocore raises
them), and the SQS consumer's first receive retried with the backoff (no real waits) until
it stores findings, or stopped by a refusal with AWS's code in the message."""

import json
import threading

import boto3
import pytest
from botocore.exceptions import (ClientError, ConnectTimeoutError, CredentialRetrievalError, EndpointConnectionError,
                                 NoCredentialsError, NoRegionError, ReadTimeoutError)

from aws.errors import aws_errors
from aws.findings_sources import SqsWorker
from aws.startup import aws_failure
from composition import build_services
from core.findings.config import QueueConfig
from core.startup import StartupRefused
from store.findings.repository import SqlFindingRepository
from tests.support.findings import fixture_text, tuned


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} says no"},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"}}, "ReceiveMessage")


@pytest.mark.parametrize("exc", [
    _client_error("InternalError", 500), _client_error("ServiceUnavailable", 503),
    _client_error("ThrottlingException", 400), _client_error("RequestThrottled", 403),
    _client_error("SlowDown", 503), _client_error("TooManyRequestsException", 429),
    _client_error("Whatever", 502), EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com/"),
    ConnectTimeoutError(endpoint_url="https://sts.amazonaws.com/"),
    ReadTimeoutError(endpoint_url="https://sqs.us-east-1.amazonaws.com/"),
    CredentialRetrievalError(provider="iam-role", error_msg="timed out reading the instance metadata"),
], ids=lambda e: e.response["Error"]["Code"] if isinstance(e, ClientError) else type(e).__name__)
def test_aws_or_network_trouble_is_transient(exc):
    failure = aws_failure(exc, "sqs")
    assert failure is not None and not failure.definitive


@pytest.mark.parametrize("exc, named", [
    (_client_error("InvalidClientTokenId", 403), "InvalidClientTokenId"),
    (_client_error("SignatureDoesNotMatch", 403), "SignatureDoesNotMatch"),
    (_client_error("AccessDenied", 403), "AccessDenied"),
    (_client_error("AWS.SimpleQueueService.NonExistentQueue", 400), "NonExistentQueue"),
    (_client_error("ExpiredToken", 400), "ExpiredToken"),
    (NoCredentialsError(), "No AWS credentials found"),
    (NoRegionError(), "No AWS region"),
])
def test_a_refusal_is_definitive_and_names_the_code(exc, named):
    failure = aws_failure(exc, "sqs")
    assert failure.definitive and named in failure.reason


def test_the_wrapped_error_is_read_through_to_botocores():
    with pytest.raises(Exception) as raised:
        with aws_errors("sqs"):
            raise _client_error("AccessDenied", 403)
    failure = aws_failure(raised.value)
    assert failure.definitive and "sqs:ReceiveMessage (AccessDenied)" in failure.reason and "req-1" in failure.reason
    assert aws_failure(ValueError("a bug")) is None


class Flaky:
    """The SQS client, but its first receives raise `failures` in turn."""

    def __init__(self, client, *failures):
        self.client, self.failures, self.receives = client, list(failures), 0

    def receive_message(self, **kwargs):
        self.receives += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.client.receive_message(**kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


@pytest.fixture
def queue(moto_inprocess):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    body = json.loads(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
    for n in range(3):
        body["detail"]["id"] = f"start-{n}"
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    return sqs, url


@pytest.fixture
def services(settings):
    made = build_services(tuned(settings, after=1000, queue=QueueConfig(wait_seconds=0)))
    yield made
    made.db.dispose()


def test_the_first_receive_is_retried_while_sqs_is_down_then_findings_are_stored(queue, services):
    sqs, url = queue
    client = Flaky(sqs, _client_error("ServiceUnavailable", 503), EndpointConnectionError(endpoint_url=url),
                   _client_error("ThrottlingException", 400))
    stop, waits = threading.Event(), []
    store = SqlFindingRepository(services.db)

    def sleep(seconds):
        waits.append(seconds)
        return False

    def until_stored(messages):  # stop once the first batch is in
        SqsWorker.process(worker, messages)
        stop.set()

    worker = SqsWorker(services, client, url, sleep=sleep)
    worker.process = until_stored
    worker.run(stop)
    assert waits == [1, 2, 4] and client.receives == 4
    assert store.count() == 3


@pytest.mark.parametrize("refusal", [_client_error("AWS.SimpleQueueService.NonExistentQueue", 400),
                                     _client_error("InvalidClientTokenId", 403)])
def test_a_refusal_at_start_up_stops_the_consumer_with_a_clear_message(queue, services, refusal):
    sqs, url = queue
    client, waits = Flaky(sqs, _client_error("InternalError", 500), refusal), []
    worker = SqsWorker(services, client, url, sleep=lambda seconds: waits.append(seconds) or False)
    with pytest.raises(StartupRefused) as refused:
        worker.run(threading.Event())
    code = refusal.response["Error"]["Code"]
    assert waits == [1] and f"sqs:ReceiveMessage ({code})" in refused.value.message
    assert refused.value.message.startswith("AWS refused the start-up call")
