"""AWS at start-up: tell a transient failure (AWS or the network is having trouble: retry)
from a refusal (the credentials, the permissions or the resource are wrong: stop and say so).

Transient: HTTP 5xx and 429, AWS's throttling and timeout codes, and botocore's connection,
timeout and credential-retrieval errors (an instance role's metadata endpoint can be slow).
Every other error AWS answers (4xx: InvalidClientTokenId, SignatureDoesNotMatch,
AccessDenied, a queue that does not exist, ...) and a missing credential or region is a
refusal: waiting does not fix it. botocore's own retries ran before either reaches here."""

from __future__ import annotations

from botocore.exceptions import (BotoCoreError, ClientError, ConnectionError as BotoConnectionError,
                                 CredentialRetrievalError, HTTPClientError, MetadataRetrievalError)

from aws.errors import AwsActionError, describe_aws_error
from core.startup import Failure

TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "SlowDown", "PriorRequestNotComplete", "RequestTimeout", "RequestTimeoutException", "InternalError",
    "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
    "IDPCommunicationError", "EC2ThrottledException"})
_UNREACHABLE = (BotoConnectionError, HTTPClientError, CredentialRetrievalError, MetadataRetrievalError)


def aws_failure(exc: Exception, service: str | None = None) -> Failure | None:
    """What a failed AWS call at start-up means (AwsActionError is read through to its cause);
    None for anything that is not AWS's."""
    cause = exc.__cause__ if isinstance(exc, AwsActionError) and exc.__cause__ is not None else exc
    if not isinstance(cause, (ClientError, BotoCoreError)):
        return None
    reason = exc.message if isinstance(exc, AwsActionError) else describe_aws_error(cause, service).message
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code") or "")
        status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return Failure(reason, definitive=not (status >= 500 or status == 429 or code in TRANSIENT_CODES))
    return Failure(reason, definitive=not isinstance(cause, _UNREACHABLE))


def refused_message(failure: Failure) -> str:
    return f"AWS refused the start-up call (check the AWS credentials, permissions and FINDINGS_QUEUE_URL): " \
           f"{failure.reason}"
