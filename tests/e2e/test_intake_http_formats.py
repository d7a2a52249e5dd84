"""The 2024+ formats over the real HTTP intake: the new Security Hub's `Findings Imported V2`,
`Inspector2 Finding` and `Macie Finding` events through the EventBridge API destination
endpoint and a signed SNS notification, into storage and Slack (published samples,
tests/fixtures/README.md; the V2 finding given status New, as published it was Suppressed)."""

import json

from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.e2e.test_intake_http import SECRET, post, signer, ws  # noqa: F401 - fixtures

FIXTURES = REPO / "tests" / "fixtures"


def v2_event() -> dict:
    event = json.loads((FIXTURES / "ocsf/sh2-eb-findings-imported-v2-guardduty-sumologic.json").read_text())
    event["detail"]["findings"][0].update(status="New", status_id=1)
    return event


def test_ocsf_inspector_and_macie_events_are_stored_over_the_eventbridge_endpoint(ws, monkeypatch):
    monkeypatch.setenv("FIREBREAK_INTAKE_SECRET", SECRET)
    headers = {"X-Firebreak-Intake-Secret": SECRET}
    for event in (v2_event(),
                  json.loads((FIXTURES / "inspector/inspector2-eb-lambda-package-vulnerability-awsdocs.json").read_text()),
                  json.loads((FIXTURES / "macie/macie-eb-finding-encryption-disabled-awsdocs-truncated.json").read_text())):
        status, body = post(ws, "/intake/eventbridge", event, headers)
        assert (status, body["new"], body["rejected"]) == (200, 1, []), event["detail-type"]
    repo = SqlFindingRepository(ws.services.db)
    assert repo.count() == 3
    assert repo.by_finding_id("1d24e91799652d9e17025b61d94f436b20b515b6f3cd9bda788f48c1db9cf244").raw_format == \
        "ocsf-event"
    assert ws.services.notifier.drain(10)
    texts = json.dumps(ws.fake.messages("security-triage"))
    assert "CloudTrail trail Aws-Observability-e2esumoqeui was disabled" in texts
    assert "Encryption is disabled for the S3 bucket" in texts


def test_a_findings_imported_v2_event_in_a_signed_sns_notification_is_stored_and_posted(ws, signer):  # noqa: F811
    status, body = post(ws, "/intake/sns", signer.notification(json.dumps(v2_event()), "2"))
    assert status == 200 and body["new"] == 1
    assert ws.services.notifier.drain(10)
    assert "CloudTrail trail Aws-Observability-e2esumoqeui was disabled" in json.dumps(
        ws.fake.messages("security-triage"))
