"""HTTP intake on the real server: SNS (signed, certificate from an injected fetcher) and
EventBridge API destinations (shared secret), end to end into storage and Slack."""

import dataclasses
import json
import urllib.error
import urllib.request

import pytest

from composition import local_workspace
from store.finding_intake import SqlIntakeRepository
from store.findings import SqlFindingRepository
from tests.support.findings import fixture_text, tuned
from tests.support.sns import SnsSigner

SECRET = "s3cret-for-tests"


@pytest.fixture(scope="module")
def signer():
    return SnsSigner()


@pytest.fixture
def ws(settings, signer):
    workspace = local_workspace(tuned(settings), threads=4, overrides={"fetch_url": signer.fetch})
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
    status, body = post(ws, "/intake/sns", signer.notification(event, "1"))
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


def test_sns_topic_outside_the_allow_list_is_refused(settings, signer):
    cfg = tuned(settings)
    intake = cfg.config.findings.intake.model_copy(update={"sns_topic_arns": ["arn:aws:sns:us-east-1:1:other"]})
    findings = cfg.config.findings.model_copy(update={"intake": intake})
    ws = local_workspace(dataclasses.replace(cfg, config=cfg.config.model_copy(update={"findings": findings})),
                         overrides={"fetch_url": signer.fetch})
    try:
        status, body = post(ws, "/intake/sns", signer.notification("{}"))
        assert status == 403 and "sns_topic_arns" in body["error"]
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
