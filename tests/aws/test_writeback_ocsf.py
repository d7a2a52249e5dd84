"""Dismiss write-back by origin for the new Security Hub's OCSF findings, checked with
botocore's Stubber against the installed securityhub model (moto 5.2 has no
BatchUpdateFindingsV2, nor BatchUpdateFindings): every stubbed call's parameters and response
are validated against that model."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from aws.errors import AwsActionError
from aws.writeback import AwsWriteBack
from core.findings.identity import origin_of
from core.findings.normalize import normalize_text
from core.findings.ports import StoredFinding
from tests.conftest import REPO

OCSF_EVENT = REPO / "tests" / "fixtures" / "ocsf" / "sh2-eb-findings-imported-v2-guardduty-sumologic.json"
METADATA_UID = "1d24e91799652d9e17025b61d94f436b20b515b6f3cd9bda788f48c1db9cf244"


class FixedSessions:
    def __init__(self, client):
        self.stubbed, self.asked = client, []

    def client(self, service, *, account=None, region=None):
        self.asked.append((service, account, region))
        return self.stubbed


def stored(text: str, origins=None) -> StoredFinding:
    f = normalize_text(text).findings[0]
    fields = {name: getattr(f, name, None) for name in StoredFinding.__dataclass_fields__}
    fields.update(pk=1, finding_id=f.id, updated_at=f.updated_at or "", status="open", route="default",
                  channel="c", slack_channel=None, slack_ts=None, thread_ts=None, digest_id=None, incident_id=None,
                  activity=[], revision=1, slack_revision=0, received_at=None,
                  origins=origin_of(f) if origins is None else origins)
    return StoredFinding(**fields)


def test_dismissing_an_ocsf_finding_suppresses_it_in_security_hub_by_its_metadata_uid(aws_env):
    finding = stored(OCSF_EVENT.read_text())
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings_v2", {
            "ProcessedFindings": [{"MetadataUid": METADATA_UID}], "UnprocessedFindings": []},
            {"MetadataUids": [METADATA_UID], "StatusId": 3, "Comment": "our own CIS automation"})
        sessions = FixedSessions(client)
        done = AwsWriteBack(sessions).dismiss(finding, "our own CIS automation", "U1")
        stub.assert_no_pending_responses()
    assert "Suppressed" in done
    assert sessions.asked == [("securityhub", "869728294964", "us-east-1")]


def test_the_comment_is_cut_to_security_hubs_512_characters(aws_env):
    finding = stored(OCSF_EVENT.read_text())
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [], "UnprocessedFindings": []},
                          {"MetadataUids": [METADATA_UID], "StatusId": 3, "Comment": "x" * 512})
        AwsWriteBack(FixedSessions(client)).dismiss(finding, "x" * 600, "U1")
        stub.assert_no_pending_responses()


def test_an_unprocessed_ocsf_finding_is_an_error_naming_batch_update_findings_v2(aws_env):
    finding = stored(OCSF_EVENT.read_text())
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [], "UnprocessedFindings": [{
            "MetadataUid": METADATA_UID, "ErrorCode": "ResourceNotFoundException", "ErrorMessage": "gone"}]})
        with pytest.raises(AwsActionError) as caught:
            AwsWriteBack(FixedSessions(client)).dismiss(finding, "x", "U1")
    assert caught.value.failure.operation == "securityhub:BatchUpdateFindingsV2"
    assert "ResourceNotFoundException" in caught.value.message


def test_a_finding_also_seen_natively_is_archived_in_guardduty_not_security_hub(aws_env):
    """The stored finding came as OCSF and natively: GuardDuty is told (its archive reaches both hubs)."""
    finding = stored(OCSF_EVENT.read_text(), origins={
        "ocsf": {"metadata_uid": METADATA_UID},
        "guardduty": {"id": "06c95f0cfdfd3b579b977e20e9da1aa4",
                      "arn": "arn:aws:guardduty:us-east-1:869728294964:detector/b4c71b47fb852d3fc0e99a82fa2841aa/"
                             "finding/06c95f0cfdfd3b579b977e20e9da1aa4"}})
    client = boto3.client("guardduty", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("update_findings_feedback", {}, {
            "DetectorId": "b4c71b47fb852d3fc0e99a82fa2841aa", "FindingIds": ["06c95f0cfdfd3b579b977e20e9da1aa4"],
            "Feedback": "NOT_USEFUL", "Comments": "ours"})
        stub.add_response("archive_findings", {}, {"DetectorId": "b4c71b47fb852d3fc0e99a82fa2841aa",
                                                   "FindingIds": ["06c95f0cfdfd3b579b977e20e9da1aa4"]})
        AwsWriteBack(FixedSessions(client)).dismiss(finding, "ours", "U1")
        stub.assert_no_pending_responses()


def test_an_ocsf_finding_without_metadata_uid_is_refused_before_any_call(aws_env):
    document = json.loads(OCSF_EVENT.read_text())
    del document["detail"]["findings"][0]["metadata"]["uid"]
    finding = stored(json.dumps(document))
    with pytest.raises(Exception, match="metadata.uid"):
        AwsWriteBack(FixedSessions(None)).dismiss(finding, "x", "U1")
