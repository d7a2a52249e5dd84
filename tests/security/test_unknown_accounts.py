"""Issue 22 item 8: the session factory refuses an account that is neither configured nor
Firebreak's own, so no caller (/investigate --account, dismiss write-back, the evidence
reader) silently asks Firebreak's own account and labels the answer with the one named."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest

from aws.evidence_reader import AwsEvidenceReader
from aws.sessions import AwsSessions, UnknownAccount
from aws.writeback import AwsWriteBack
from composition import local_workspace
from core.findings.normalize import normalize_text
from core.findings.ports import StoredFinding
from tests.support.findings import fixture_text
from tests.support.slack import all_text, settled

OWN = "123456789012"  # moto's account: Firebreak's own credentials
STRANGER = "999999999999"
CONFIG = SimpleNamespace(default_region="us-east-1", retry_mode="standard", max_attempts=2)


def _sessions(**accounts) -> AwsSessions:
    return AwsSessions(CONFIG, accounts=accounts)


def test_the_session_factory_refuses_an_account_it_has_no_role_for(moto_inprocess):
    sessions = _sessions(**{"111111111111": "arn:aws:iam::111111111111:role/FirebreakResponder"})
    with pytest.raises(UnknownAccount, match=f"Account {STRANGER} is not configured .* not Firebreak's own "
                                             f"\\({OWN}\\)"):
        sessions.client("cloudtrail", account=STRANGER)


def test_firebreak_own_account_and_no_account_use_its_own_credentials(moto_inprocess):
    sessions = _sessions()
    assert sessions.client("s3", account=OWN).list_buckets()["Buckets"] == []
    assert sessions.client("s3").list_buckets()["Buckets"] == []


def _finding(account: str) -> StoredFinding:
    f = normalize_text(fixture_text("guardduty/gd_raw_bitcoin_dns_lowercase.json")).findings[0]
    fields = {name: getattr(f, name, None) for name in StoredFinding.__dataclass_fields__}
    fields.update(pk=1, finding_id=f.id, updated_at=f.updated_at or "", status="open", route="default",
                  channel="c", slack_channel=None, slack_ts=None, thread_ts=None, digest_id=None, incident_id=None,
                  activity=[], revision=1, slack_revision=0, received_at=None, account=account)
    return StoredFinding(**fields)


def test_write_back_for_a_finding_of_an_unconfigured_account_is_refused_not_sent_home(moto_inprocess):
    with pytest.raises(UnknownAccount, match=STRANGER):
        AwsWriteBack(_sessions()).dismiss(_finding(STRANGER), "false positive", "UALICE")


def test_the_evidence_reader_does_not_read_its_own_account_for_an_unconfigured_one(moto_inprocess):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="evidence")
    s3.put_object(Bucket="evidence", Key="i-1/memory.lime", Body=b"image")
    reader = AwsEvidenceReader(_sessions())
    assert reader.object_sha256(account=OWN, region="us-east-1", bucket="evidence", key="i-1/memory.lime",
                                version_id=None).size == 5
    with pytest.raises(UnknownAccount):
        reader.object_sha256(account=STRANGER, region="us-east-1", bucket="evidence", key="i-1/memory.lime",
                             version_id=None)


def test_investigate_with_an_unconfigured_account_is_refused_not_answered_from_firebreak_own(settings,
                                                                                            moto_inprocess):
    ws = local_workspace(settings, threads=2)
    try:
        ws.sender.command("/incident", "declare sev2 Key leak", user=ws.user("alice"), channel=ws.channel("general"))
        ws.settle()
        incident = ws.services.incidents.recent()[0]
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.command("/investigate", f"principal mallory --account {STRANGER}", user=ws.user("alice"),
                          channel=incident.channel_id)
        answers = settled(ws, lambda: (found := ws.fake.calls_to("response_url")[seen:]) and found)
        [answer] = [c.body for c in answers]
        assert answer["response_type"] == "ephemeral"
        assert f"Account {STRANGER} is not configured" in all_text(answer)
        assert "CloudTrail event" not in all_text(answer), "no answer labelled with the account named"
        assert not [f for f in ws.fake.files.values() if f["name"].startswith("investigation-")]
    finally:
        ws.stop()
