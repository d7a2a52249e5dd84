"""Snooze notes in AWS, per copy of the finding, checked with botocore's Stubber against the
installed securityhub model (moto 5.2 implements neither BatchUpdateFindingsV2 nor
BatchUpdateFindings); Stubber also fails on any parameter not expected (no StatusId, no
Workflow). The job's retry after throttling is run twice here, as the worker would."""

from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from aws.writeback import AwsWriteBack
from composition import build_services
from core import acts
from core.errors import FirebreakError
from core.findings import triage
from core.findings.pipeline import ingest
from store.findings.repository import SqlFindingRepository
from tests.aws.test_writeback_ocsf import METADATA_UID, OCSF_EVENT, FixedSessions, stored
from tests.core.findings.test_pipeline import Recorder
from tests.support.findings import finding, tuned

UNTIL = datetime(2026, 12, 8, 1, 2, 3, tzinfo=timezone.utc)


def test_the_ocsf_comment_is_cut_to_512_characters_and_sets_no_status(aws_env):
    client = boto3.client("securityhub", region_name="us-east-1")
    expected = ("Snoozed in Firebreak until 2026-12-08T01:02:03.000Z by U1: " + "x" * 600)[:512]
    with Stubber(client) as stub:
        stub.add_response("batch_update_findings_v2", {"ProcessedFindings": [], "UnprocessedFindings": []},
                          {"MetadataUids": [METADATA_UID], "Comment": expected})
        done = AwsWriteBack(FixedSessions(client)).snooze(stored(OCSF_EVENT.read_text()), UNTIL, "U1", "x" * 600)
        stub.assert_no_pending_responses()
    assert done == "Security Hub finding commented (status unchanged)"


def test_a_native_guardduty_finding_is_not_touched_in_aws(aws_env):
    """GuardDuty has no snooze; archiving would hide the finding after the snooze ends."""
    sessions = FixedSessions(None)
    f = stored(OCSF_EVENT.read_text(), origins={"guardduty": {"id": "g1", "arn": None}})
    assert AwsWriteBack(sessions).snooze(f, UNTIL, "U1", "this finding for 1 d") == ""
    assert sessions.asked == []


class Throttled:
    """Fails like throttling once, then notes."""

    def __init__(self):
        self.calls = 0

    def snooze(self, finding, until, user, reason):
        self.calls += 1
        if self.calls == 1:
            raise FirebreakError("Security Hub is throttling (ThrottlingException)")
        return "Security Hub CSPM note added (workflow unchanged)"


@pytest.fixture
def services(settings, clock):
    built = build_services(tuned(settings), clock=clock, notifier=Recorder(), writeback=Throttled())
    yield built
    built.db.dispose()


def test_a_job_run_again_after_a_failed_note_keeps_one_snooze_and_notes_it_once(services):
    ingest(services, [finding(id="n1", raw_format="asff", raw={"ProductArn": "arn:p"})])
    pk = SqlFindingRepository(services.db).by_finding_id("n1").pk
    with acts.acting("job-7"), pytest.raises(FirebreakError):
        triage.snooze(services, pk, "U1", "finding:1d")
    with acts.acting("job-7"):
        triage.snooze(services, pk, "U1", "finding:1d")
    after = SqlFindingRepository(services.db).get(pk)
    assert after.status == "snoozed" and services.writeback.calls == 2
    assert [a["action"] for a in after.activity] == ["snoozed", "snooze-not-noted", "snooze-noted"]
