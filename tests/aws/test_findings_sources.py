"""Finding sources: the SQS worker with moto (poison messages, a stop mid-batch, a crash
between commit and delete) and Security Hub polling with the Stubber."""

import json
import threading
import time

import boto3
import pytest
from botocore.stub import Stubber

from aws.findings_sources import SECURITYHUB_CURSOR, SqsWorker, poll_security_hub, queue_region
from composition import build_services
from core.findings.config import QueueConfig
from core.nulls import NoNotifier
from store.findings.intake import SqlIntakeRepository
from store.findings.repository import SqlFindingRepository
from tests.support.findings import fixture_text, tuned

BODIES = {  # real-format messages as EventBridge -> SQS (and SNS -> SQS) deliver them: findings in each
    "guardduty/gd_eventbridge_s3_exfiltration.json": 1,
    "guardduty/gd_sns_notification_eventbridge.json": 1,
    "securityhub/asff_eventbridge_imported_two_findings.json": 2,
    "cloudtrail/ct_eb_root_console_login_with_mfa.json": 1,
}


class Recorder(NoNotifier):
    def __init__(self, on_first=None):
        self.shown, self.on_first = [], on_first

    def finding_changed(self, f):
        self.shown.append(f.finding_id)
        if self.on_first and len(self.shown) == 1:
            self.on_first()

    def digest_changed(self, d):
        self.shown.append(f"digest:{d.id}")

    def indicator_seen(self, m):
        pass

    def drain(self, timeout=None):
        return True


@pytest.fixture
def sqs(moto_inprocess):
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def worker_for(settings, sqs):
    made = []

    def make(queue_url, notifier=None, **queue):
        services = build_services(tuned(settings, after=1000, queue=QueueConfig(wait_seconds=0, **queue)),
                                  notifier=notifier or Recorder())
        made.append(services)
        return SqsWorker(services, sqs, queue_url)

    yield make
    for services in made:
        services.db.dispose()


def _drain_queue(worker):
    while messages := worker.receive():
        worker.process(messages)


def _left(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_findings_are_stored_then_deleted_and_poison_goes_to_the_dlq(sqs, worker_for):
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="findings-dlq")["QueueUrl"]
    for name in BODIES:
        sqs.send_message(QueueUrl=url, MessageBody=fixture_text(name))
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    sqs.send_message(QueueUrl=url, MessageBody=fixture_text("cloudtrail/ct_raw_putbucketpolicy_vpce_restricted.json"))
    worker = worker_for(url, dead_letter_queue_url=dlq)
    _drain_queue(worker)
    assert SqlFindingRepository(worker.services.db).count() == sum(BODIES.values())
    assert _left(sqs, url) == 0
    [moved] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert moved["Body"] == "{not json"
    [kept] = SqlIntakeRepository(worker.services.db).rejected()
    assert kept.body == "{not json" and "invalid JSON" in kept.reason and kept.origin == "sqs"
    assert worker.stats.poison == 1 and worker.stats.summary.not_matched == 1


def test_poison_without_a_dlq_is_recorded_and_left_for_the_redrive_policy(sqs, worker_for):
    url = sqs.create_queue(QueueName="findings", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"hello": "world"}))
    worker = worker_for(url, visibility_timeout=0)
    worker.process(worker.receive())
    worker.process(worker.receive())
    [kept] = SqlIntakeRepository(worker.services.db).rejected()
    assert kept.attempts == 2 and "not a GuardDuty, Security Hub or CloudTrail document" in kept.reason
    assert _left(sqs, url) == 1  # still there, never silently dropped


def test_stop_mid_batch_finishes_the_batch_and_loses_or_doubles_nothing(sqs, worker_for):
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    for n in range(25):
        body = json.loads(fixture_text("guardduty/gd_eventbridge_s3_exfiltration.json"))
        body["detail"]["id"] = f"gd-{n:02}"
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    stop = threading.Event()
    first = worker_for(url, notifier=Recorder(on_first=stop.set), batch_size=10)
    stats = first.run(stop)  # SIGTERM arrives while the first batch is being stored
    assert (stats.batches, stats.deleted) == (1, 10)
    assert SqlFindingRepository(first.services.db).count() == 10 and _left(sqs, url) == 15
    second = worker_for(url)
    _drain_queue(second)
    assert SqlFindingRepository(second.services.db).count() == 25 and _left(sqs, url) == 0
    assert second.stats.summary.new == 15 and second.stats.summary.unchanged == 0


@pytest.mark.slow
def test_crash_between_commit_and_delete_means_a_harmless_redelivery(sqs, worker_for, monkeypatch):
    url = sqs.create_queue(QueueName="findings")["QueueUrl"]
    for name in BODIES:
        sqs.send_message(QueueUrl=url, MessageBody=fixture_text(name))
    crashing = worker_for(url, visibility_timeout=1)
    monkeypatch.setattr(sqs, "delete_message_batch", lambda **kw: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        crashing.process(crashing.receive())
    monkeypatch.undo()
    stored = SqlFindingRepository(crashing.services.db).count()
    assert stored == sum(BODIES.values())
    time.sleep(1.2)  # the visibility timeout runs out: SQS delivers again
    again = worker_for(url)
    _drain_queue(again)
    assert again.stats.summary.unchanged == stored and again.stats.summary.new == 0
    assert SqlFindingRepository(again.services.db).count() == stored and _left(sqs, url) == 0
    assert again.services.notifier.shown == []  # nothing shown twice


def test_queue_region_comes_from_the_queue_url():
    assert queue_region("https://sqs.eu-west-1.amazonaws.com/123456789012/findings") == "eu-west-1"
    assert queue_region("http://127.0.0.1:5000/123456789012/findings") is None


def test_security_hub_poll_pages_and_keeps_a_cursor(settings, clock, aws_env):
    services = build_services(tuned(settings), clock=clock, notifier=Recorder())
    page = json.loads(fixture_text("securityhub/asff_getfindings_inspector_accessanalyzer.json"))
    for f in page["Findings"]:  # the Stubber checks responses against the model, which requires these
        f.setdefault("Description", f["Title"])
    client = boto3.client("securityhub", region_name="us-east-1")
    first_request = {"Filters": {"UpdatedAt": [{"Start": "2025-12-31T23:00:00.000Z", "End": "2026-01-01T00:00:00.000Z"}]},
                     "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}], "MaxResults": 100}
    with Stubber(client) as stub:
        stub.add_response("get_findings", {"Findings": page["Findings"][:1], "NextToken": "page-2"}, first_request)
        stub.add_response("get_findings", {"Findings": page["Findings"][1:]}, {**first_request, "NextToken": "page-2"})
        summary = poll_security_hub(services, client)
        stub.assert_no_pending_responses()
    assert summary.new == 2
    cursor = SqlIntakeRepository(services.db).cursor(SECURITYHUB_CURSOR)
    assert cursor == "2026-11-23T12:00:00.000Z"
    clock.advance(minutes=5)
    with Stubber(client) as stub:
        stub.add_response("get_findings", {"Findings": page["Findings"][1:]}, {**first_request, "Filters": {
            "UpdatedAt": [{"Start": cursor, "End": "2026-01-01T00:05:00.000Z"}]}})
        again = poll_security_hub(services, client)
    assert (again.new, again.unchanged) == (0, 1)
    services.db.dispose()


def test_security_hub_polling_is_a_clock_sweep_only_when_enabled(settings, clock, aws_env):
    from aws.findings_sources import security_hub_polls
    from aws.sessions import AwsSessions

    services = build_services(tuned(settings), clock=clock, notifier=Recorder())
    poll = services.config.findings.securityhub_poll
    sessions = AwsSessions(services.config.aws)
    assert security_hub_polls(sessions, poll) == ()
    client = boto3.client("securityhub", region_name="us-east-1")
    [(name, sweep, seconds)] = security_hub_polls(
        sessions, poll.model_copy(update={"enabled": True, "every_minutes": 10}), client)
    assert (name, seconds) == ("securityhub-poll", 600)
    page = json.loads(fixture_text("securityhub/asff_getfindings_inspector_accessanalyzer.json"))
    for f in page["Findings"]:
        f.setdefault("Description", f["Title"])
    with Stubber(client) as stub:
        stub.add_response("get_findings", {"Findings": page["Findings"]})
        assert sweep(services) == 2
    services.db.dispose()
