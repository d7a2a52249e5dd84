"""/investigate --source athena through signed Slack requests, against moto's Athena with
seeded results: a progress message follows the query in the channel, the answer is the same
summary LookupEvents gets, the rows are attached as CSV, the query is on the timeline; a
query that outlasts the timeout is cancelled and the channel and the asker are told why;
an engine that is not set up is refused in the ack."""

from __future__ import annotations

import boto3
import pytest
from moto.athena.models import athena_backends
from moto.moto_api import state_manager
from moto.moto_api._internal.models import moto_api_backend

from composition import local_workspace
from core.settings import load_settings
from tests.support.slack import ack_body, all_text

HEADER = ["eventtime", "eventname", "eventsource", "principal", "sourceip", "useragent", "errorcode", "eventid"]
ROWS = [["2026-01-01T10:00:00Z", "GetObject", "s3.amazonaws.com", "arn:aws:iam::123456789012:user/mallory",
         "203.0.113.9", "aws-cli/2.15 <script>", "", "e1"],
        ["2026-01-01T10:09:00Z", "PutBucketPolicy", "s3.amazonaws.com", "arn:aws:iam::123456789012:user/mallory",
         "198.51.100.7", "=HYPERLINK(\"x\")", "AccessDenied", "e2"]]


@pytest.fixture
def athena_settings(clean_db, tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text("investigation:\n  poll_seconds: 0.05\n  poll_max_seconds: 0.1\n  timeout_seconds: 20\n"
                    "  athena:\n    workgroup: firebreak-ir\n    database: cloudtrail\n    table: cloudtrail_logs\n")
    return load_settings(path, environ={"DATABASE_URL": clean_db})


@pytest.fixture
def athena(moto_inprocess):
    boto3.client("athena", region_name="us-east-1").create_work_group(Name="firebreak-ir", Configuration={})
    yield athena_backends["123456789012"]["us-east-1"]
    state_manager.unset_transition("athena::execution")


def run(ws, text):
    ws.sender.command("/incident", "declare sev2 Bucket exposure", user=ws.user("alice"), channel=ws.channel("general"))
    ws.settle()
    incident = ws.services.incidents.recent()[0]
    seen = len(ws.fake.calls_to("response_url"))
    ws.sender.command("/investigate", text, user=ws.user("alice"), channel=incident.channel_id)
    ws.settle()
    return incident, [c.body for c in ws.fake.calls_to("response_url")[seen:]]


def progress_of(ws, channel):
    posted = [c.body for c in ws.fake.calls_to("chat.postMessage")
              if c.body.get("channel") == channel and "query" in c.body.get("text", "")]
    updated = [c.body for c in ws.fake.calls_to("chat.update") if c.body.get("channel") == channel]
    return posted, updated


def test_an_athena_query_shows_progress_then_the_summary_and_the_csv(athena_settings, athena):
    moto_api_backend.set_athena_result(rows=[{"Data": [{"VarCharValue": v} for v in row]} for row in [HEADER, *ROWS]],
                                       column_info=[], account_id="123456789012", region="us-east-1")
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 3})
    ws = local_workspace(athena_settings, threads=2)
    try:
        incident, [answer] = run(ws, "principal arn:aws:iam::123456789012:user/mallory --hours 48 --source athena")
        text = all_text(answer)
        assert answer["response_type"] == "in_channel" and "2 CloudTrail event(s) from Athena" in text
        assert "PutBucketPolicy" in text and "1 access denied" in text and "<script>" not in str(answer)

        posted, updated = progress_of(ws, incident.channel_id)
        [execution] = athena.executions.values()
        assert len(posted) == 1 and execution.id in all_text(posted[0]) and "queued" in all_text(posted[0])
        assert any("running" in all_text(u) for u in updated), "the message follows the query"
        assert "finished: 2 event(s)" in all_text(updated[-1])

        [upload] = [f for f in ws.fake.files.values() if f["name"].startswith("investigation-principal")]
        assert upload["channel"] == incident.channel_id and b"PutBucketPolicy" in upload["content"]
        assert b"'=HYPERLINK" in upload["content"], "a formula from the logs stays text"

        assert "mallory" not in execution.query and "'arn:aws:iam::123456789012:user/mallory'" in \
            execution.execution_parameters
        [entry] = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert entry.data["engine"] == "athena" and entry.data["events"] == 2
        assert entry.data["parameters"]["name"] == "mallory" and entry.data["query_id"] == execution.id
    finally:
        ws.stop()


def test_a_query_that_outlasts_the_timeout_is_cancelled_and_everyone_is_told(athena_settings, athena):
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 10 ** 6})
    config = athena_settings.config
    slow = config.model_copy(update={"investigation": config.investigation.model_copy(
        update={"timeout_seconds": 0.3})})
    athena_settings.config = slow
    ws = local_workspace(athena_settings, threads=2)
    try:
        incident, [refusal] = run(ws, "bucket exposed-bucket --source athena")
        [execution] = athena.executions.values()
        assert execution.status == "CANCELLED"
        assert refusal["response_type"] == "ephemeral"
        assert "timed out after 0.3 s" in all_text(refusal) and "it was cancelled" in all_text(refusal)
        _, updated = progress_of(ws, incident.channel_id)
        assert ":x:" in all_text(updated[-1]) and "timed out" in all_text(updated[-1])
        [entry] = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert "timed out" in entry.data["failed"] and entry.data["events"] == 0
    finally:
        ws.stop()


def test_an_engine_that_is_not_set_up_is_refused_in_the_ack(athena_settings, athena):
    ws = local_workspace(athena_settings, threads=2)
    try:
        reply = ack_body(ws.sender.command("/investigate", "ip 203.0.113.9 --source lake", user=ws.user("alice"),
                                           channel=ws.channel("general")))
        assert "investigation.lake" in all_text(reply) and reply.get("response_type") == "ephemeral"
        assert not athena.executions
    finally:
        ws.stop()


def test_a_failed_query_tells_the_asker_and_the_channel_why(athena_settings, aws_env):
    """Athena answers FAILED for a missing table (moto cannot fail a query: Stubber)."""
    from botocore.stub import Stubber

    from aws.investigate_queries import AthenaQueries

    client = boto3.client("athena", region_name="us-east-1")

    class Sessions:
        def client(self, service_name, **_):
            return client

    reason = "TABLE_NOT_FOUND: line 4:6: Table 'awsdatacatalog.cloudtrail.cloudtrail_logs' does not exist <b>"
    engine = AthenaQueries(Sessions(), athena_settings.config.investigation.athena)
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-missing"})
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {
            "State": "FAILED", "StateChangeReason": reason}}})
        ws = local_workspace(athena_settings, threads=2, overrides={"log_queries": {"athena": engine}})
        try:
            incident, [refusal] = run(ws, "key AKIAIOSFODNN7EXAMPLE --source athena")
            text = all_text(refusal)
            assert refusal["response_type"] == "ephemeral" and "q-missing failed: missing: the table " \
                "cloudtrail.cloudtrail_logs" in text and "TABLE_NOT_FOUND" in text
            assert "<b>" not in str(refusal), "Athena's words are escaped"
            _, updated = progress_of(ws, incident.channel_id)
            assert ":x:" in all_text(updated[-1]) and "missing" in all_text(updated[-1])
            [entry] = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "investigation"]
            assert entry.data["query_id"] == "q-missing" and "TABLE_NOT_FOUND" in entry.data["failed"]
        finally:
            ws.stop()
