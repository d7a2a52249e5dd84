"""Issue 23 item 5, the mapping alone: moto's HTML error page for an operation it lacks becomes
"not available in the AWS sandbox: <why>" (a NotInSandbox, which a dismissal can do without);
anything else stays AWS's own error. The end-to-end tests are tests/e2e/test_sandbox_gaps.py."""

import pytest
from botocore.exceptions import ClientError

from aws.errors import AwsActionError, aws_errors
from core.errors import NotInSandbox

PAGE = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>"


def _error(message, server):
    return ClientError({"Error": {"Code": "404", "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 404, "HTTPHeaders": {"server": server}}},
                       "ArchiveFindings")


def test_item5_motos_error_page_is_said_as_not_available_in_the_sandbox():
    with pytest.raises(NotInSandbox) as raised:
        with aws_errors("guardduty"):
            raise _error(PAGE, "Werkzeug/3.1.3 Python/3.11.2")
    assert raised.value.message.startswith("not available in the AWS sandbox: moto keeps GuardDuty detectors")
    assert "<" not in raised.value.message and isinstance(raised.value, AwsActionError)


def test_item5_an_html_answer_not_from_moto_stays_awss_own_error():
    with pytest.raises(AwsActionError) as raised:
        with aws_errors("guardduty"):
            raise _error(PAGE, "AmazonS3")
    assert not isinstance(raised.value, NotInSandbox) and "AWS refused guardduty:ArchiveFindings" in raised.value.message
