"""Dismiss on an OCSF finding over signed Slack requests: the triage message's Dismiss, the
reason modal, then Security Hub's BatchUpdateFindingsV2 with the finding's metadata.uid,
StatusId 3 and the reason as the comment. BatchUpdateFindingsV2 is stubbed with botocore's
Stubber (moto 5.2 does not implement it), which checks the call against the installed model.
The sample is the published Findings Imported V2 event (tests/fixtures/README.md), here with
status New: as published it arrived Suppressed and would not be posted."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from aws.writeback import AwsWriteBack
from composition import local_workspace
from core.findings.intake import receive_one
from handlers import ids
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import tuned
from tests.support.slack import all_text

EVENT = REPO / "tests" / "fixtures" / "ocsf" / "sh2-eb-findings-imported-v2-guardduty-sumologic.json"
METADATA_UID = "1d24e91799652d9e17025b61d94f436b20b515b6f3cd9bda788f48c1db9cf244"


class StubbedSessions:
    def __init__(self, client):
        self.stubbed = client

    def client(self, service, *, account=None, region=None):
        assert (service, account, region) == ("securityhub", "869728294964", "us-east-1")
        return self.stubbed


@pytest.fixture
def securityhub(aws_env):
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


@pytest.fixture
def ws(settings, securityhub):
    client, _ = securityhub
    workspace = local_workspace(tuned(settings), threads=4,
                                overrides={"writeback": AwsWriteBack(StubbedSessions(client))})
    yield workspace
    workspace.stop()


def test_dismissing_an_ocsf_finding_in_slack_suppresses_it_in_security_hub_by_metadata_uid(ws, securityhub):
    _, stub = securityhub
    stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [{"MetadataUid": METADATA_UID}],
                                                   "UnprocessedFindings": []},
                      {"MetadataUids": [METADATA_UID], "StatusId": 3, "Comment": "our CIS automation"})
    event = json.loads(EVENT.read_text())
    event["detail"]["findings"][0].update(status="New", status_id=1)
    receive_one(ws.services, json.dumps(event), origin="test")
    assert ws.services.notifier.drain(10)
    stored = SqlFindingRepository(ws.services.db).by_finding_id(METADATA_UID)
    message = next(m for m in ws.fake.messages("security-triage") if m["ts"] == stored.slack_ts)
    reply = ws.sender.block_action(user=ws.user("alice"), channel=stored.slack_channel,
                                   action_id=ids.ACTION_FINDING_DISMISS, value=str(stored.pk), message=message)
    assert reply.status == 200
    ws.fake.wait_for("views.open")
    ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_DISMISS,
                              private_metadata=str(stored.pk),
                              values={"reason": {"reason": {"type": "plain_text_input",
                                                            "value": "our CIS automation"}}})
    edited = ws.fake.wait_for("chat.update", lambda c: "Dismissed as a false positive" in all_text(c.body))
    stub.assert_no_pending_responses()
    assert "Security Hub finding status set to Suppressed" in all_text(edited[-1].body)
    assert SqlFindingRepository(ws.services.db).get(stored.pk).status == "dismissed"
