"""/investigate against CloudTrail's real LookupEvents model (botocore Stubber: moto lacks
it): the question is parsed once, the lookup is bounded, the answer summarises what a
responder asks first, failures say why, and the query lands on the incident's timeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber

from aws.investigate import MAX_PAGES, CloudTrailHistory
from core.incidents import service as incidents
from core.errors import FirebreakError, UsageError
from core.investigation import service
from core.investigation.model import parse
from handlers.investigation.blocks import answer as render, csv_text
from tests.support.fakes import fake_services

AT = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


class Sessions:
    def __init__(self, client):
        self.client_ = client

    def client(self, service, **_):
        return self.client_


def event(n, name="GetObject", ip="203.0.113.9", error="", agent="aws-cli/2.0"):
    detail = {"sourceIPAddress": ip, "userAgent": agent, **({"errorCode": error} if error else {})}
    return {"EventId": f"e-{n}", "EventName": name, "EventTime": AT + timedelta(minutes=n),
            "EventSource": "s3.amazonaws.com", "Username": "mallory", "CloudTrailEvent": json.dumps(detail)}


@pytest.fixture
def cloudtrail(aws_env):
    return boto3.client("cloudtrail", region_name="us-east-1")


def test_the_question_is_checked_like_any_command():
    assert parse("key AKIAIOSFODNN7EXAMPLE --hours 6").hours == 6
    assert parse("principal arn:aws:iam::123456789012:user/mallory").value.endswith("mallory")
    for bad, why in [("", "one subject"), ("host web-1", "not something"), ("ip 999.1.1.1", "not an IP"),
                     ("key nope", "does not look like"), ("instance i-0123456789abcdef0 --hours 0", "--hours"),
                     ("bucket b1 b2", "exactly one")]:
        with pytest.raises(UsageError, match=why):
            parse(bad)


def test_lookup_by_key_reads_pages_and_summarises(cloudtrail):
    history = CloudTrailHistory(Sessions(cloudtrail))
    question = parse("key AKIAIOSFODNN7EXAMPLE")
    attrs = [{"AttributeKey": "AccessKeyId", "AttributeValue": "AKIAIOSFODNN7EXAMPLE"}]
    with Stubber(cloudtrail) as stub:
        stub.add_response("lookup_events", {"Events": [event(1), event(2, "PutObject", error="AccessDenied")],
                                            "NextToken": "p2"},
                          {"StartTime": AT, "EndTime": AT + timedelta(hours=1), "MaxResults": 50,
                           "LookupAttributes": attrs})
        stub.add_response("lookup_events", {"Events": [event(3, error="AccessDenied", ip="198.51.100.1")]},
                          {"StartTime": AT, "EndTime": AT + timedelta(hours=1), "MaxResults": 50,
                           "LookupAttributes": attrs, "NextToken": "p2"})
        events, truncated = history.lookup(question, start=AT, end=AT + timedelta(hours=1), account=None,
                                           region="us-east-1")
    assert len(events) == 3 and not truncated
    from core.investigation.model import Answer
    summary = Answer(question, None, "us-east-1", AT, AT + timedelta(hours=1), events)
    assert summary.top("name")[0] == ("GetObject", 2) and summary.denied == 2
    assert summary.top("source_ip")[0] == ("203.0.113.9", 2)
    text, shown = render(summary)
    assert "2 access denied" in json.dumps(shown) and "3 event(s)" in text


def test_an_ip_is_filtered_here_and_the_read_is_bounded(cloudtrail):
    history = CloudTrailHistory(Sessions(cloudtrail))
    with Stubber(cloudtrail) as stub:
        for n in range(MAX_PAGES):
            stub.add_response("lookup_events", {"Events": [event(n, ip="203.0.113.9" if n % 2 else "10.0.0.1")],
                                                "NextToken": f"p{n + 1}"})
        events, truncated = history.lookup(parse("ip 203.0.113.9"), start=AT, end=AT + timedelta(hours=1),
                                           account=None, region="us-east-1")
    assert truncated and len(events) == MAX_PAGES // 2 and {e.source_ip for e in events} == {"203.0.113.9"}


@pytest.mark.parametrize("code, why", [("AccessDeniedException", "lacks cloudtrail:LookupEvents"),
                                       ("ThrottlingException", "throttling")])
def test_failures_say_why(cloudtrail, code, why):
    history = CloudTrailHistory(Sessions(cloudtrail))
    with Stubber(cloudtrail) as stub:
        stub.add_client_error("lookup_events", service_error_code=code, http_status_code=400)
        with pytest.raises(FirebreakError, match=why):
            history.lookup(parse("bucket exposed-bucket"), start=AT, end=AT + timedelta(hours=1), account=None,
                           region="us-east-1")


class History:
    def __init__(self, events):
        self.events, self.asked = events, []

    def lookup(self, question, *, start, end, account, region):
        self.asked.append((question, start, end, account, region))
        return self.events, False


def test_a_question_in_an_incident_channel_is_on_its_timeline(settings, clock):
    from core.investigation.ports import EventHistory  # noqa: F401 - the port History stands in for

    raw = [event(1, agent="=cmd|' /C calc'!A0")]
    from aws.investigate import _event
    history = History([_event(r) for r in raw])
    services = fake_services(settings, clock, event_history=history)
    try:
        incident = incidents.declare(services, title="Key leak", declared_by="U0ALICE").incident
        result, found = service.investigate(services, actor="U0ALICE", channel=incident.channel_id,
                                            question=parse("principal mallory --hours 6"))
        assert found.id == incident.id and len(result.events) == 1
        [asked] = history.asked
        assert asked[2] - asked[1] == timedelta(hours=6) and asked[4] == settings.config.aws.default_region
        [entry] = [e for e in services.incidents.timeline(incident.id) if e.kind == "investigation"]
        assert entry.data["events"] == 1 and entry.data["subject"] == "principal" and "6 h" in entry.text
        assert "'=cmd" in csv_text(result), "a spreadsheet formula from AWS data stays text"
    finally:
        services.drain()
