"""`python bot.py ingest` and `worker` as an operator runs them (subprocesses, real formats)."""

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from local.fake_slack import FakeSlack
from store.db import Database
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import FIXTURES, fixture_text

pytestmark = pytest.mark.slow


def _env(database_url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_", "AWS_"))}
    return {**env, "DATABASE_URL": database_url, **extra}


def bot(*args, env, stdin=""):
    return subprocess.run([sys.executable, str(REPO / "bot.py"), *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-cli").serve()
    slack.add_channel("security-triage")
    yield slack
    slack.stop()


def test_ingest_stores_posts_and_summarises(clean_db, fake, tmp_path):
    path = FIXTURES / "cloudtrail" / "ct_records_mixed.json"
    config = tmp_path / "firebreak.yaml"
    config.write_text("findings:\n  digest: {pace_seconds: 0.1}\n")  # pacing itself: tests/handlers/test_triage_storm.py
    env = _env(clean_db, SLACK_BOT_TOKEN=fake.token, SLACK_API_URL=fake.api_url, FIREBREAK_CONFIG=str(config))
    first = bot("ingest", str(path), env=env)
    assert first.returncode == 0, first.stderr
    assert "stored: 4 new, 0 updated, 0 unchanged" in first.stdout
    assert "matching no detection rule (not findings): 1" in first.stdout
    assert "Slack: every message sent" in first.stdout
    assert len(fake.messages("security-triage")) == 4
    again = bot("ingest", "-", env=env, stdin=path.read_text())
    assert "stored: 0 new, 0 updated, 4 unchanged" in again.stdout
    assert len(fake.calls_to("chat.postMessage")) == 4


def test_ingest_reports_rejections_and_waits_for_a_token(clean_db):
    stdin = fixture_text("guardduty/gd_raw_bitcoin_dns_lowercase.json") + "\n{\"x\": 1}\n[1, 2"
    result = bot("ingest", "-", env=_env(clean_db), stdin=stdin)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "stored: 1 new" in result.stdout and "rejected: 2" in result.stdout
    assert "not a GuardDuty, Security Hub or CloudTrail document" in result.stdout
    assert "no SLACK_BOT_TOKEN" in result.stdout
    missing = bot("ingest", "/no/such/file.json", env=_env(clean_db))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_worker_without_a_queue_says_what_it_needs(clean_db):
    result = bot("worker", env=_env(clean_db))
    assert result.returncode == 1 and "FINDINGS_QUEUE_URL" in result.stderr


def test_worker_consumes_sqs_and_stops_cleanly_on_sigterm(clean_db, moto_endpoint, fake, tmp_path):
    config = tmp_path / "firebreak.yaml"
    # The fixture is a high finding: let it be grouped, since grouping is what is tested here.
    config.write_text("findings:\n  queue: {wait_seconds: 1}\n  digest: {pace_seconds: 0.1, always_alone_from: null}\n")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    for n in range(12):
        event = json.loads(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
        event["detail"]["id"] = f"w-{n}"
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    env = {**_env(clean_db, SLACK_BOT_TOKEN=fake.token, SLACK_API_URL=fake.api_url, FINDINGS_QUEUE_URL=url,
                  FIREBREAK_CONFIG=str(config)),
           **{k: v for k, v in os.environ.items() if k.startswith("AWS_") or k.lower() == "no_proxy"}}
    worker = subprocess.Popen([sys.executable, str(REPO / "bot.py"), "worker"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = SqlFindingRepository(Database(clean_db))
        deadline = time.monotonic() + 60
        while store.count() < 12 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.count() == 12
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert len(fake.messages("security-triage")) == 6  # 5 on their own, then one digest
