"""The query pack run by Athena (moto, with seeded results) and CloudTrail Lake (botocore's
Stubber against the real service model: moto has no Lake queries), through core's
investigate: progress while it runs, the same summary as LookupEvents, the query on the
timeline with its engine, parameters and result count; failures say why, and a query that
outlasts the timeout is cancelled. Every Athena call a query makes is allowed by the shipped
IAM policy on Firebreak's workgroup, and on no other (read statically: see below)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.athena.models import athena_backends
from moto.moto_api import state_manager
from moto.moto_api._internal.models import moto_api_backend

from aws.investigate_queries import AthenaQueries, LakeQueries
from aws.sessions import new_session
from core.incidents import service as incidents
from core.errors import FirebreakError
from core.investigation import service
from core.investigation.config import InvestigationConfig
from core.investigation.model import parse
from tests.aws.actions.test_iam_policy import POLICY
from tests.support.fakes import fake_services
from tests.support.iam_policy import allows

ACCOUNT, REGION = "123456789012", "us-east-1"
ATHENA = {"workgroup": "firebreak-ir", "database": "cloudtrail", "table": "cloudtrail_logs",
          "output_location": "s3://firebreak-athena-results-123456789012/investigate/"}
STORE = "0b7a2c3d-1111-2222-3333-4e5f6a7b8c9d"
LAKE = {"event_data_store": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:eventdatastore/{STORE}"}
HEADER = ["eventtime", "eventname", "eventsource", "principal", "sourceip", "useragent", "errorcode", "eventid"]
ROWS = [["2026-01-01T10:00:00Z", "GetObject", "s3.amazonaws.com", "arn:aws:iam::123456789012:user/mallory",
         "203.0.113.9", "aws-cli/2.15", "", "e1"],
        ["2026-01-01T10:05:00Z", "GetObject", "s3.amazonaws.com", "arn:aws:iam::123456789012:user/mallory",
         "203.0.113.9", "aws-cli/2.15", "", "e2"],
        ["2026-01-01T10:09:00Z", "PutBucketPolicy", "s3.amazonaws.com", "arn:aws:iam::123456789012:user/mallory",
         "198.51.100.7", "Boto3/1.34", "AccessDenied", "e3"]]


class Sessions:
    def __init__(self, client=None):
        self.client_, self.asked = client, []

    def client(self, service_name, **kwargs):
        self.asked.append((service_name, kwargs))
        return self.client_ or new_session().client(service_name, region_name=REGION)


class Ticks:
    """A monotonic clock that moves `step` seconds each time it is read; sleeps are recorded."""

    def __init__(self, step=1.0):
        self.now, self.step, self.slept = 0.0, step, []

    def __call__(self):
        self.now += self.step
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)


def configured(settings, **investigation):
    config = settings.config.model_copy(update={"investigation": InvestigationConfig(**investigation)})
    return dataclasses.replace(settings, config=config)


def seed(rows):
    """What `POST /moto-api/static/athena/query-results` does: the next query's result set."""
    moto_api_backend.set_athena_result(
        rows=[{"Data": [{"VarCharValue": v} for v in row]} for row in [HEADER, *rows]], column_info=[],
        account_id=ACCOUNT, region=REGION)


@pytest.fixture
def manual_progress():
    """moto's Athena executions advance QUEUED -> RUNNING -> SUCCEEDED one step per N reads."""
    def progress(times):
        state_manager.set_transition("athena::execution", {"progression": "manual", "times": times})
    yield progress
    state_manager.unset_transition("athena::execution")


def ask(services, text, ticks, channel=None, steps=None):
    return service.investigate(services, actor="U0ALICE", channel=channel, question=parse(text),
                               progress=(steps.append if steps is not None else None), sleep=ticks.sleep,
                               monotonic=ticks)


def test_an_athena_query_runs_with_progress_and_is_summarised_like_lookup_events(settings, clock, moto_inprocess,
                                                                                 manual_progress):
    boto3.client("athena", region_name=REGION).create_work_group(Name="firebreak-ir", Configuration={})
    seed(ROWS)
    manual_progress(2)  # moto: QUEUED, then RUNNING for two reads, then SUCCEEDED
    services = fake_services(configured(settings, athena=ATHENA, poll_seconds=1, poll_max_seconds=4),
                             clock, log_queries={"athena": AthenaQueries(Sessions(), ATHENA_CONFIG())})
    try:
        incident = incidents.declare(services, title="Key leak", declared_by="U0ALICE").incident
        steps, ticks = [], Ticks()
        answer, _ = ask(services, "key AKIAIOSFODNN7EXAMPLE --hours 6 --source athena", ticks,
                        channel=incident.channel_id, steps=steps)
        assert [s.state for s in steps] == ["queued", "running", "running", "succeeded"]
        assert ticks.slept == [1, 2, 4], "the poll interval doubles up to poll_max_seconds"
        assert answer.engine == "athena" and len(answer.events) == 3 and not answer.truncated
        assert answer.top("name")[0] == ("GetObject", 2) and answer.denied == 1
        assert answer.first.isoformat() == "2026-01-01T10:00:00+00:00" and answer.top("source_ip")[0][1] == 2

        [execution] = athena_backends[ACCOUNT][REGION].executions.values()
        assert "AKIAIOSFODNN7EXAMPLE" not in execution.query and "accesskeyid = ?" in execution.query
        assert "'AKIAIOSFODNN7EXAMPLE'" in execution.execution_parameters
        assert execution.workgroup.name == "firebreak-ir" and execution.context["Database"] == "cloudtrail"

        [entry] = [e for e in services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert entry.data["engine"] == "athena" and entry.data["events"] == 3
        assert entry.data["query_id"] == execution.id and entry.data["parameters"]["value"] == "AKIAIOSFODNN7EXAMPLE"
        assert entry.data["execution_parameters"] == execution.execution_parameters
        assert "Athena" in entry.text and "3 event(s)" in entry.text
    finally:
        services.drain()


def ATHENA_CONFIG(**changes):
    return InvestigationConfig(athena={**ATHENA, **changes}).athena


def test_more_rows_than_one_answer_reads_are_reported_truncated(settings, clock, moto_inprocess):
    boto3.client("athena", region_name=REGION).create_work_group(Name="firebreak-ir", Configuration={})
    seed(ROWS)
    services = fake_services(configured(settings, athena=ATHENA, max_results=2), clock,
                             log_queries={"athena": AthenaQueries(Sessions(), ATHENA_CONFIG())})
    try:
        answer, _ = ask(services, "ip 203.0.113.9 --source athena", Ticks())
        assert len(answer.events) == 2 and answer.truncated
        [execution] = athena_backends[ACCOUNT][REGION].executions.values()
        assert "LIMIT 3" in execution.query
    finally:
        services.drain()


def test_a_query_that_outlasts_the_timeout_is_cancelled_and_says_so(settings, clock, moto_inprocess,
                                                                     manual_progress):
    boto3.client("athena", region_name=REGION).create_work_group(Name="firebreak-ir", Configuration={})
    manual_progress(10 ** 6)  # never leaves QUEUED
    services = fake_services(configured(settings, athena=ATHENA, timeout_seconds=5), clock,
                             log_queries={"athena": AthenaQueries(Sessions(), ATHENA_CONFIG())})
    try:
        incident = incidents.declare(services, title="Key leak", declared_by="U0ALICE").incident
        with pytest.raises(service.QueryFailed, match=r"timed out after 5 s .*it was cancelled"):
            ask(services, "bucket exposed-bucket --source athena", Ticks(), channel=incident.channel_id)
        [execution] = athena_backends[ACCOUNT][REGION].executions.values()
        assert execution.status == "CANCELLED"
        [entry] = [e for e in services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert "timed out" in entry.data["failed"] and entry.data["query_id"] == execution.id
    finally:
        services.drain()


def stubbed_athena(settings, clock, **investigation):
    client = boto3.client("athena", region_name=REGION)
    services = fake_services(configured(settings, athena=ATHENA, **investigation), clock,
                             log_queries={"athena": AthenaQueries(Sessions(client), ATHENA_CONFIG())})
    return client, services


def test_a_failed_query_says_the_table_is_missing(settings, clock, aws_env):
    client, services = stubbed_athena(settings, clock)
    reason = "TABLE_NOT_FOUND: line 4:6: Table 'awsdatacatalog.cloudtrail.cloudtrail_logs' does not exist"
    try:
        with Stubber(client) as stub:
            stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"},
                              {"QueryString": ANY, "WorkGroup": "firebreak-ir", "ExecutionParameters": ANY,
                               "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": "cloudtrail"},
                               "ResultConfiguration": {"OutputLocation": ATHENA["output_location"]}})
            stub.add_response("get_query_execution", {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {
                "State": "FAILED", "StateChangeReason": reason,
                "AthenaError": {"ErrorCategory": 2, "ErrorType": 1301, "Retryable": False, "ErrorMessage": reason}}}})
            with pytest.raises(service.QueryFailed) as failed:
                ask(services, "principal mallory --source athena", Ticks())
        assert "query q-1 failed: missing: the table cloudtrail.cloudtrail_logs" in failed.value.message
        assert "TABLE_NOT_FOUND" in failed.value.message, "Athena's own reason is kept"
    finally:
        services.drain()


def test_an_athena_failure_keeps_athenas_reason(settings, clock, aws_env):
    client, services = stubbed_athena(settings, clock)
    try:
        with Stubber(client) as stub:
            stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
            stub.add_response("get_query_execution", {"QueryExecution": {"Status": {
                "State": "FAILED", "StateChangeReason": "GENERIC_INTERNAL_ERROR: Query exhausted resources"}}})
            with pytest.raises(service.QueryFailed, match="q-2 failed: Athena said: GENERIC_INTERNAL_ERROR"):
                ask(services, "ip 203.0.113.9 --source athena", Ticks())
    finally:
        services.drain()


@pytest.mark.parametrize("code, message, why", [
    ("AccessDeniedException", "User is not authorized to perform: athena:StartQueryExecution", "permission"),
    ("TooManyRequestsException", "Rate exceeded", "throttled"),
    ("InvalidRequestException", "WorkGroup firebreak-ir is not found", "missing: the table cloudtrail.cloudtrail_logs"),
])
def test_athena_refusals_say_why(settings, clock, aws_env, code, message, why):
    client, services = stubbed_athena(settings, clock)
    try:
        with Stubber(client) as stub:
            stub.add_client_error("start_query_execution", service_error_code=code, service_message=message,
                                  http_status_code=400)
            with pytest.raises(FirebreakError, match=why):
                ask(services, "instance i-0123456789abcdef0 --source athena", Ticks())
    finally:
        services.drain()


def stubbed_lake(settings, clock, **investigation):
    client = boto3.client("cloudtrail", region_name=REGION)
    lake = InvestigationConfig(lake=LAKE).lake
    services = fake_services(configured(settings, lake=LAKE, **investigation), clock,
                             log_queries={"lake": LakeQueries(Sessions(client), lake)})
    return client, services


def lake_rows(rows):
    return [[{name: value} for name, value in zip(HEADER, row) if value] for row in rows]


def test_a_lake_query_reads_every_page_and_is_on_the_timeline(settings, clock, aws_env):
    client, services = stubbed_lake(settings, clock, default_source="lake")
    try:
        incident = incidents.declare(services, title="Key leak", declared_by="U0ALICE").incident
        question = parse("principal arn:aws:iam::123456789012:user/mallory --hours 2")
        expected = service.statement_for(services, "lake", question, clock.now() - timedelta(hours=2), clock.now())
        assert f"FROM {STORE}" in expected.sql and "'arn:aws:iam::123456789012:user/mallory'" in expected.sql
        steps = []
        with Stubber(client) as stub:
            stub.add_response("start_query", {"QueryId": "00000000-0000-4000-8000-000000000001"}, {"QueryStatement": expected.sql})
            stub.add_response("describe_query", {"QueryId": "00000000-0000-4000-8000-000000000001", "QueryStatus": "RUNNING",
                                                 "QueryStatistics": {"BytesScanned": 2048}}, {"QueryId": "00000000-0000-4000-8000-000000000001"})
            stub.add_response("describe_query", {"QueryId": "00000000-0000-4000-8000-000000000001", "QueryStatus": "FINISHED"}, {"QueryId": "00000000-0000-4000-8000-000000000001"})
            stub.add_response("get_query_results", {"QueryResultRows": lake_rows(ROWS[:2]), "NextToken": "page-2"},
                              {"QueryId": "00000000-0000-4000-8000-000000000001", "MaxQueryResults": 1000})
            stub.add_response("get_query_results", {"QueryResultRows": lake_rows(ROWS[2:])},
                              {"QueryId": "00000000-0000-4000-8000-000000000001", "MaxQueryResults": 1000, "NextToken": "page-2"})
            answer, _ = service.investigate(services, actor="U0ALICE", channel=incident.channel_id,
                                            question=question, progress=steps.append, sleep=Ticks().sleep,
                                            monotonic=Ticks())
        assert [(s.state, s.scanned_bytes) for s in steps] == [("running", 2048), ("succeeded", None)]
        assert answer.engine == "lake" and len(answer.events) == 3 and answer.denied == 1
        [entry] = [e for e in services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert entry.data["engine"] == "lake" and entry.data["events"] == 3 and entry.data["query_id"] == "00000000-0000-4000-8000-000000000001"
        assert entry.data["parameters"]["name"] == "mallory" and entry.data["execution_parameters"] == []
    finally:
        services.drain()


def test_a_lake_query_that_outlasts_the_timeout_is_cancelled(settings, clock, aws_env):
    client, services = stubbed_lake(settings, clock, timeout_seconds=2)
    try:
        with Stubber(client) as stub:
            stub.add_response("start_query", {"QueryId": "00000000-0000-4000-8000-000000000002"})
            stub.add_response("describe_query", {"QueryStatus": "QUEUED"}, {"QueryId": "00000000-0000-4000-8000-000000000002"})
            stub.add_response("describe_query", {"QueryStatus": "RUNNING"}, {"QueryId": "00000000-0000-4000-8000-000000000002"})
            stub.add_response("cancel_query", {"QueryId": "00000000-0000-4000-8000-000000000002", "QueryStatus": "CANCELLED"}, {"QueryId": "00000000-0000-4000-8000-000000000002"})
            with pytest.raises(service.QueryFailed, match="CloudTrail Lake query 00000000-0000-4000-8000-000000000002 timed out.*it was cancelled"):
                ask(services, "key AKIAIOSFODNN7EXAMPLE --source lake", Ticks())
            stub.assert_no_pending_responses()
    finally:
        services.drain()


@pytest.mark.parametrize("respond, why", [
    (lambda stub: stub.add_client_error("start_query", service_error_code="EventDataStoreNotFoundException",
                                        http_status_code=400), f"missing: the event data store {STORE}"),
    (lambda stub: stub.add_client_error("start_query", service_error_code="AccessDeniedException",
                                        http_status_code=400), "permission"),
    (lambda stub: (stub.add_response("start_query", {"QueryId": "00000000-0000-4000-8000-000000000003"}),
                   stub.add_response("describe_query", {"QueryStatus": "FAILED",
                                                        "ErrorMessage": "Query failed: mismatched input 'FORM'"})),
     "00000000-0000-4000-8000-000000000003 failed: CloudTrail Lake said: Query failed: mismatched input"),
    (lambda stub: (stub.add_response("start_query", {"QueryId": "00000000-0000-4000-8000-000000000004"}),
                   stub.add_response("describe_query", {"QueryStatus": "TIMED_OUT"})),
     "00000000-0000-4000-8000-000000000004 failed: CloudTrail Lake said: CloudTrail Lake timed the query out"),
])
def test_lake_failures_say_why(settings, clock, aws_env, respond, why):
    client, services = stubbed_lake(settings, clock)
    try:
        with Stubber(client) as stub:
            respond(stub)
            with pytest.raises(FirebreakError, match=why):
                ask(services, "bucket exposed-bucket --source lake", Ticks())
    finally:
        services.drain()


def athena_calls_of_a_query(settings, clock):
    """The Athena operations one query makes, run in moto (unauthenticated: see below)."""
    client = boto3.client("athena", region_name=REGION)
    client.create_work_group(Name="firebreak-ir", Configuration={})
    seed(ROWS)
    made = []
    client.meta.events.register("before-call.athena", lambda model, **_: made.append(model.name))
    services = fake_services(configured(settings, athena=ATHENA), clock,
                             log_queries={"athena": AthenaQueries(Sessions(client), ATHENA_CONFIG())})
    try:
        answer, _ = ask(services, "key AKIAIOSFODNN7EXAMPLE --source athena", Ticks())
    finally:
        services.drain()
    assert len(answer.events) == 3
    return sorted(set(made))


WORKGROUP_ARN = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/firebreak-ir"


# moto 5.2.6 cannot enforce IAM on Athena any more: botocore 1.44 speaks rest-json to it, and
# moto signs a bodyless GET (GetQueryExecution, GetQueryResults) with the request's headers as
# its body, so the signature never matches. The shipped policy is read statically instead, for
# exactly the calls a query makes in moto (tests/support/iam_policy.py).
def test_athena_runs_under_exactly_the_shipped_policy(settings, clock, moto_inprocess):
    calls = athena_calls_of_a_query(settings, clock)
    assert {"StartQueryExecution", "GetQueryExecution", "GetQueryResults"} <= set(calls)
    refused = [c for c in calls if not allows(POLICY, f"athena:{c}", WORKGROUP_ARN)]
    assert refused == [], f"the shipped policy refuses {refused} on {WORKGROUP_ARN}"
    assert not allows(POLICY, "athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary"), \
        "queries may run only in Firebreak's own workgroups"


def test_without_the_athena_statement_the_query_is_refused_as_permission(settings, clock, moto_inprocess):
    calls = athena_calls_of_a_query(settings, clock)
    weaker = {**POLICY, "Statement": [s for s in POLICY["Statement"]
                                      if s["Sid"] != "InvestigateWithAthenaInFirebreakWorkgroups"]}
    assert [c for c in calls if allows(weaker, f"athena:{c}", WORKGROUP_ARN)] == []
    # ... and AWS's refusal then reads as a permission problem (botocore's Stubber, as Athena would answer):
    client, services = stubbed_athena(settings, clock)
    try:
        with Stubber(client) as stub:
            stub.add_client_error("start_query_execution", "AccessDeniedException",
                                  "User is not authorized to perform: athena:StartQueryExecution")
            with pytest.raises(FirebreakError, match="athena:StartQueryExecution.* — permission"):
                ask(services, "key AKIAIOSFODNN7EXAMPLE --source athena", Ticks())
    finally:
        services.drain()
