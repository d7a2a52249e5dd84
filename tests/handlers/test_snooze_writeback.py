"""Snooze over signed Slack requests, noted in AWS without changing the finding's status
there (a snooze ends; suppressing the finding would hide it from everyone after that).

Why Stubber: moto 5.2 implements neither BatchUpdateFindingsV2 (the new Security Hub, OCSF)
nor BatchUpdateFindings (Security Hub CSPM, ASFF). botocore's Stubber checks each call's
parameters and response against the installed securityhub model, and that exactly the
parameters expected were sent: no StatusId, no Workflow.

The samples are the published ones (tests/fixtures/README.md); the three-copy finding is
assembled as tests/handlers/test_cross_format_dedup.py assembles it."""

import json
import re

import boto3
import pytest
from botocore.stub import Stubber

from aws.writeback import AwsWriteBack
from composition import local_workspace
from core.findings.intake import receive_one
from handlers import ids
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.handlers.test_cross_format_dedup import copies
from tests.support.findings import fixture_text, tuned
from tests.support.slack import all_text

OCSF_EVENT = REPO / "tests" / "fixtures" / "ocsf" / "sh2-eb-findings-imported-v2-guardduty-sumologic.json"
METADATA_UID = "1d24e91799652d9e17025b61d94f436b20b515b6f3cd9bda788f48c1db9cf244"
GUARDDUTY_PRODUCT = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
NOTE = re.compile(r"Snoozed in Firebreak until (\S+Z) by (U\w+): this finding for 1 d")


class Captured:
    """Matches a parameter by pattern and keeps what was sent, so the test can read it."""

    def __init__(self, pattern: re.Pattern):
        self.pattern, self.seen = pattern, None

    def __eq__(self, other):
        self.seen = other
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self):
        return f"<matching {self.pattern.pattern}>"


class StubbedSessions:
    def __init__(self, client):
        self.stubbed, self.asked = client, []

    def client(self, service, *, account=None, region=None):
        self.asked.append((service, account, region))
        assert service == "securityhub", "a snooze tells GuardDuty nothing"
        return self.stubbed


@pytest.fixture
def securityhub(aws_env):
    client = boto3.client("securityhub", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


@pytest.fixture
def ws(settings, securityhub):
    client, _ = securityhub
    workspace = local_workspace(tuned(settings, after=100), threads=4,
                                overrides={"writeback": AwsWriteBack(StubbedSessions(client))})
    yield workspace
    workspace.stop()


def ocsf_event() -> str:
    event = json.loads(OCSF_EVENT.read_text())
    event["detail"]["findings"][0].update(status="New", status_id=1)  # published Suppressed: not posted
    return json.dumps(event)


def show(ws, *documents: str, finding_id: str):
    for document in documents:
        _, received = receive_one(ws.services, document, origin="test")
        assert received.findings == 1 and not received.rejected
    assert ws.services.notifier.drain(10)
    return SqlFindingRepository(ws.services.db).by_finding_id(finding_id)


def snooze_1d(ws, stored) -> None:
    message = next(m for m in ws.fake.messages("security-triage") if m["ts"] == stored.slack_ts)
    reply = ws.sender.block_action(user=ws.user("alice"), channel=stored.slack_channel,
                                   action_id=ids.ACTION_FINDING_SNOOZE, value=str(stored.pk), message=message,
                                   selected={"value": f"{stored.pk}:finding:1d"})
    assert reply.status == 200


def snoozed_until(ws, pk: int) -> str:
    stored = SqlFindingRepository(ws.services.db).get(pk)
    assert stored.status == "snoozed"
    return next(a["until"] for a in stored.activity if a["action"] == "snoozed")


def v2_ok(stub, comment: Captured) -> None:
    stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [{"MetadataUid": METADATA_UID}],
                                                   "UnprocessedFindings": []},
                      {"MetadataUids": [METADATA_UID], "Comment": comment})


def cspm_ok(stub, finding_id: str, note: Captured, user: str, product: str = GUARDDUTY_PRODUCT) -> None:
    stub.add_response("batch_update_findings", {"ProcessedFindings": [{"Id": finding_id, "ProductArn": product}],
                                                "UnprocessedFindings": []},
                      {"FindingIdentifiers": [{"Id": finding_id, "ProductArn": product}],
                       "Note": {"Text": note, "UpdatedBy": f"firebreak:{user}"}})


def test_snoozing_an_ocsf_finding_comments_on_it_in_security_hub_and_leaves_its_status(ws, securityhub):
    _, stub = securityhub
    comment = Captured(NOTE)
    v2_ok(stub, comment)
    stored = show(ws, ocsf_event(), finding_id=METADATA_UID)
    snooze_1d(ws, stored)
    edited = ws.fake.wait_for("chat.update", lambda c: "Snooze noted in AWS" in all_text(c.body))
    stub.assert_no_pending_responses()
    assert "Security Hub finding commented (status unchanged)" in all_text(edited[-1].body)
    until, who = NOTE.fullmatch(comment.seen).groups()
    assert (until, who) == (snoozed_until(ws, stored.pk), ws.user("alice"))


def test_snoozing_an_asff_finding_adds_a_security_hub_note_without_touching_its_workflow(ws, securityhub):
    _, stub = securityhub
    asff = json.loads(fixture_text("securityhub/asff_raw_guardduty_ssh_bruteforce.json"))
    note = Captured(NOTE)
    cspm_ok(stub, asff["Id"], note, ws.user("alice"))
    stored = show(ws, json.dumps(asff), finding_id=asff["Id"])
    snooze_1d(ws, stored)
    edited = ws.fake.wait_for("chat.update", lambda c: "Snooze noted in AWS" in all_text(c.body))
    stub.assert_no_pending_responses()
    assert "Security Hub CSPM note added (workflow unchanged)" in all_text(edited[-1].body)
    assert NOTE.fullmatch(note.seen).group(1) == snoozed_until(ws, stored.pk)


def test_a_finding_seen_natively_as_asff_and_as_ocsf_gets_one_note_per_security_hub_copy(ws, securityhub):
    """GuardDuty itself has no snooze: its native copy gets no call (StubbedSessions refuses one)."""
    client, stub = securityhub
    documents = copies("5a5a")
    asff_id = json.loads(documents["asff"])["Id"]
    comment, note = Captured(NOTE), Captured(NOTE)
    stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [{"MetadataUid": "sh2-5a5a"}],
                                                   "UnprocessedFindings": []},
                      {"MetadataUids": ["sh2-5a5a"], "Comment": comment})
    cspm_ok(stub, asff_id, note, ws.user("alice"), product=json.loads(documents["asff"])["ProductArn"])
    native_id = json.loads(documents["native"])["detail"]["id"]
    stored = show(ws, documents["native"], documents["asff"], documents["ocsf"], finding_id=native_id)
    assert set(stored.origins) == {"guardduty", "asff", "ocsf"}
    snooze_1d(ws, stored)
    edited = ws.fake.wait_for("chat.update", lambda c: "Snooze noted in AWS" in all_text(c.body))
    stub.assert_no_pending_responses()
    text = all_text(edited[-1].body)
    assert "Security Hub finding commented" in text and "Security Hub CSPM note added" in text
    assert comment.seen == note.seen and NOTE.fullmatch(comment.seen)
    assert ws.services.writeback.sessions.asked == [("securityhub", "444455556666", "us-west-2")] * 2


def test_a_refused_note_keeps_the_snooze_and_tells_the_person_who_snoozed(ws, securityhub):
    _, stub = securityhub
    stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [], "UnprocessedFindings": [{
        "MetadataUid": METADATA_UID, "ErrorCode": "ValidationException", "ErrorMessage": "comment refused"}]})
    stored = show(ws, ocsf_event(), finding_id=METADATA_UID)
    snooze_1d(ws, stored)
    ws.fake.wait_for("response_url", lambda c: "ValidationException" in all_text(c.body))
    edited = ws.fake.wait_for("chat.update", lambda c: "not noted in AWS" in all_text(c.body))
    assert "Snooze kept in Firebreak" in all_text(edited[-1].body)
    assert snoozed_until(ws, stored.pk)  # still snoozed here
