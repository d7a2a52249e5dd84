"""HTTP intake on the real server: SNS (signed, certificate from an injected fetcher) and
EventBridge API destinations (shared secret), end to end into storage and Slack."""

import dataclasses
import datetime
import json
import urllib.error
import urllib.request

import pytest

from composition import local_workspace
from store.findings.intake import SqlIntakeRepository
from store.findings.repository import SqlFindingRepository
from tests.support.findings import fixture_text, tuned
from tests.support.sns import TOPIC_ARN, SnsSigner, now_stamp

SECRET = "s3cret-for-tests"


@pytest.fixture(scope="module")
def signer():
    return SnsSigner()


def with_intake(settings, **intake):
    """Settings whose findings.intake has these values."""
    cfg = tuned(settings)
    changed = cfg.config.findings.intake.model_copy(update=intake)
    findings = cfg.config.findings.model_copy(update={"intake": changed})
    return dataclasses.replace(cfg, config=cfg.config.model_copy(update={"findings": findings}))


def workspace_for(settings, signer, **intake):
    return local_workspace(with_intake(settings, **intake), threads=4, overrides={"fetch_url": signer.fetch})


@pytest.fixture
def ws(settings, signer):
    workspace = workspace_for(settings, signer, sns_topic_arns=[TOPIC_ARN])
    yield workspace
    workspace.stop()


def post(ws, path, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(ws.url + path, data=data, method="POST",
                                     headers={"Content-Type": "text/plain", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_subscription_is_confirmed(ws, signer):
    signer.fetched.clear()
    message = signer.confirmation()
    status, body = post(ws, "/intake/sns", message, {"x-amz-sns-message-type": "SubscriptionConfirmation"})
    assert status == 200 and body["subscribed"] == message["TopicArn"]
    assert message["SubscribeURL"] in signer.fetched


def test_signed_notification_is_stored_and_posted(ws, signer):
    event = fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json")
    status, body = post(ws, "/intake/sns", signer.notification(event, "2"))
    assert status == 200 and body["new"] == 1
    assert SqlFindingRepository(ws.services.db).count() == 1
    assert ws.services.notifier.drain(10)
    assert ws.fake.messages("security-triage")
    again = post(ws, "/intake/sns", signer.notification(event, "2", MessageId="m-2"))
    assert again == (200, {"new": 0, "updated": 0, "unchanged": 1, "suppressed": 0, "snoozed": 0, "rejected": []})


def test_forged_notification_is_refused_and_nothing_is_stored(ws, signer):
    message = signer.notification(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
    tampered = json.loads(message["Message"])
    tampered["detail"]["severity"] = 0.1  # an attacker lowering a finding's severity in flight
    message["Message"] = json.dumps(tampered)
    status, body = post(ws, "/intake/sns", message)
    assert status == 403 and "does not verify" in body["error"]
    assert SqlFindingRepository(ws.services.db).count() == 0
    assert 'reason="sns_signature"' in ws.services.telemetry.exposition().decode()


def test_signed_notification_without_a_finding_is_kept_with_its_reason(ws, signer):
    status, body = post(ws, "/intake/sns", signer.notification({"hello": "world"}, MessageId="odd"))
    assert status == 200 and body["new"] == 0 and "not a GuardDuty" in body["rejected"][0]
    [kept] = SqlIntakeRepository(ws.services.db).rejected()
    assert (kept.origin, kept.message_id) == ("sns", "sns:odd")


def test_sns_topic_outside_the_allow_list_is_refused_before_any_fetch(ws, signer):
    signer.fetched.clear()
    outsider = signer.notification("{}", TopicArn="arn:aws:sns:us-east-1:999999999999:attacker")
    status, body = post(ws, "/intake/sns", outsider)
    assert status == 403 and "sns_topic_arns" in body["error"]
    assert signer.fetched == [] and SqlFindingRepository(ws.services.db).count() == 0


def test_sns_intake_is_off_while_no_topic_is_allowed(settings, signer, caplog):
    """Issue 10 item 1: with the shipped (empty) topic list, an outsider's topic was confirmed
    automatically and its notifications stored. Now: 403, a log line naming the setting,
    no subscription confirmed, nothing fetched, nothing stored."""
    ws = workspace_for(settings, signer)  # shipped default: sns_topic_arns: []
    try:
        assert ws.services.config.findings.intake.sns_topic_arns == []
        signer.fetched.clear()
        status, body = post(ws, "/intake/sns", signer.confirmation(),
                            {"x-amz-sns-message-type": "SubscriptionConfirmation"})
        assert status == 403 and "SNS intake is off" in body["error"] and "sns_topic_arns" in body["error"]
        event = fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json")
        assert post(ws, "/intake/sns", signer.notification(event))[0] == 403
        assert signer.fetched == [] and SqlFindingRepository(ws.services.db).count() == 0
        assert any("SNS intake is off: findings.intake.sns_topic_arns is empty" in r.getMessage()
                   for r in caplog.records if r.name == "firebreak.intake")
        assert 'reason="sns_disabled"' in ws.services.telemetry.exposition().decode()
    finally:
        ws.stop()


def test_sns_replayed_old_notification_is_refused(ws, signer):
    event = fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json")
    replay = signer.notification(event, Timestamp=now_stamp(-datetime.timedelta(hours=3)))
    status, body = post(ws, "/intake/sns", replay)
    assert status == 403 and "too old" in body["error"]
    assert SqlFindingRepository(ws.services.db).count() == 0


def test_sns_signature_version_1_is_refused_unless_allowed(settings, signer):
    event = fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json")
    ws = workspace_for(settings, signer, sns_topic_arns=[TOPIC_ARN])
    try:
        status, body = post(ws, "/intake/sns", signer.notification(event, "1"))
        assert status == 403 and "SignatureVersion attribute to 2" in body["error"]
    finally:
        ws.stop()
    ws = workspace_for(settings, signer, sns_topic_arns=[TOPIC_ARN], sns_require_signature_v2=False)
    try:
        status, body = post(ws, "/intake/sns", signer.notification(event, "1"))
        assert status == 200 and body["new"] == 1
    finally:
        ws.stop()


def test_eventbridge_needs_the_shared_secret(ws, monkeypatch):
    event = json.loads(fixture_text("securityhub/asff_eventbridge_imported_two_findings.json"))
    monkeypatch.delenv("FIREBREAK_INTAKE_SECRET", raising=False)
    assert post(ws, "/intake/eventbridge", event)[0] == 503
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    assert post(ws, "/intake/eventbridge", event)[0] == 403
    assert post(ws, "/intake/eventbridge", event, {"X-Firebreak-Intake-Secret": SECRET + "x"})[0] == 403
    status, body = post(ws, "/intake/eventbridge", event, {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 200 and body["new"] == 2


def test_eventbridge_garbage_is_a_400_with_the_reason_kept(ws, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    status, body = post(ws, "/intake/eventbridge", b"{oops", {"X-Firebreak-Intake-Secret": SECRET})
    assert status == 400 and "invalid JSON" in body["rejected"][0]
    assert SqlIntakeRepository(ws.services.db).rejected()[0].body == "{oops"
    big = b"x" * (256 * 1024 + 1)
    assert post(ws, "/intake/eventbridge", big, {"X-Firebreak-Intake-Secret": SECRET})[0] == 413


def test_slack_endpoint_is_untouched_by_intake(ws):
    assert post(ws, "/slack/events", {"type": "url_verification"})[0] == 403  # unsigned: still refused
