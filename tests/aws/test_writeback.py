"""Dismiss write-back, checked with botocore's Stubber (moto lacks these APIs): the Stubber
validates every parameter against the real service models."""

import boto3
import pytest
from botocore.stub import Stubber

from aws.errors import AwsActionError
from aws.writeback import AwsWriteBack, detector_id
from core.errors import FirebreakError
from core.findings.normalize import normalize_text
from core.findings.ports import StoredFinding
from tests.support.findings import fixture_text


class FixedSessions:
    """AwsSessions stand-in that hands out the stubbed client and records the target."""

    def __init__(self, client):
        self.stubbed, self.asked = client, []

    def client(self, service, *, account=None, region=None):
        self.asked.append((service, account, region))
        return self.stubbed


def stored(raw_text):
    f = normalize_text(raw_text).findings[0]
    fields = {name: getattr(f, name, None) for name in StoredFinding.__dataclass_fields__}
    fields.update(pk=1, finding_id=f.id, updated_at=f.updated_at or "", status="open", route="default",
                  channel="c", slack_channel=None, slack_ts=None, thread_ts=None, digest_id=None, incident_id=None,
                  activity=[], revision=1, slack_revision=0, received_at=None)
    return StoredFinding(**fields)


@pytest.fixture
def aws(aws_env):
    return aws_env


def test_security_hub_finding_is_suppressed_with_the_reason_as_note(aws):
    finding = stored(fixture_text("securityhub/asff_raw_guardduty_ssh_bruteforce.json"))
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": []}, {
            "FindingIdentifiers": [{"Id": finding.finding_id, "ProductArn": finding.raw["ProductArn"]}],
            "Workflow": {"Status": "SUPPRESSED"},
            "Note": {"Text": "scanner we run", "UpdatedBy": "firebreak:U1"}})
        sessions = FixedSessions(client)
        done = AwsWriteBack(sessions).dismiss(finding, "scanner we run", "U1")
        stub.assert_no_pending_responses()
    assert "SUPPRESSED" in done
    assert sessions.asked == [("securityhub", finding.account, finding.region)]


def test_security_hub_unprocessed_finding_is_an_error(aws):
    finding = stored(fixture_text("securityhub/asff_raw_guardduty_ssh_bruteforce.json"))
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": [{
            "FindingIdentifier": {"Id": finding.finding_id, "ProductArn": finding.raw["ProductArn"]},
            "ErrorCode": "FindingNotFound", "ErrorMessage": "gone"}]})
        with pytest.raises(AwsActionError, match="FindingNotFound"):
            AwsWriteBack(FixedSessions(client)).dismiss(finding, "x", "U1")


def test_guardduty_finding_gets_feedback_and_is_archived_on_its_detector(aws):
    finding = stored(fixture_text("guardduty/gd_raw_bitcoin_dns_lowercase.json"))
    detector = detector_id(finding.raw)
    assert detector == "4ec7a0f2b1c3d4e5f6a7b8c9d0e1f2a3"
    client = boto3.client("guardduty", region_name="eu-west-1")
    with Stubber(client) as stub:
        stub.add_response("update_findings_feedback", {}, {
            "DetectorId": detector, "FindingIds": [finding.finding_id], "Feedback": "NOT_USEFUL",
            "Comments": "approved miner"})
        stub.add_response("archive_findings", {}, {"DetectorId": detector, "FindingIds": [finding.finding_id]})
        done = AwsWriteBack(FixedSessions(client)).dismiss(finding, "approved miner", "U1")
        stub.assert_no_pending_responses()
    assert "archived" in done and detector in done


def test_guardduty_without_arn_asks_for_the_regions_detector(aws):
    finding = stored(fixture_text("guardduty/gd_raw_bitcoin_dns_lowercase.json"))
    finding.raw.pop("arn")
    client = boto3.client("guardduty", region_name="eu-west-1")
    with Stubber(client) as stub:
        stub.add_response("list_detectors", {"DetectorIds": ["abc123"]})
        stub.add_response("update_findings_feedback", {}, {
            "DetectorId": "abc123", "FindingIds": [finding.finding_id], "Feedback": "NOT_USEFUL", "Comments": "x"})
        stub.add_response("archive_findings", {}, {"DetectorId": "abc123", "FindingIds": [finding.finding_id]})
        AwsWriteBack(FixedSessions(client)).dismiss(finding, "x", "U1")
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_response("list_detectors", {"DetectorIds": []})
        with pytest.raises(FirebreakError, match="0 detectors"):
            AwsWriteBack(FixedSessions(client)).dismiss(finding, "x", "U1")


def test_refusal_from_aws_names_the_call_and_code(aws):
    finding = stored(fixture_text("guardduty/gd_raw_bitcoin_dns_lowercase.json"))
    client = boto3.client("guardduty", region_name="eu-west-1")
    with Stubber(client) as stub:
        stub.add_client_error("update_findings_feedback", "AccessDeniedException", "not allowed")
        with pytest.raises(AwsActionError) as caught:
            AwsWriteBack(FixedSessions(client)).dismiss(finding, "x", "U1")
    assert "guardduty:UpdateFindingsFeedback" in caught.value.message and "AccessDeniedException" in caught.value.message


def test_cloudtrail_findings_have_nothing_to_update_in_aws():
    finding = stored(fixture_text("cloudtrail/ct_eb_root_console_login_with_mfa.json"))
    assert "no finding in AWS" in AwsWriteBack(FixedSessions(None)).dismiss(finding, "x", "U1")
