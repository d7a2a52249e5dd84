"""AWS cases through signed Slack requests against the fake Slack (issue 15 parts 4 and 5):
an AWS Support case opened on moto with the incident's summary and timeline, a reply from
Slack reaching it, AWS's answer posted into the channel by the clock exactly once (escaped),
a second `/incident aws-support` naming the open case; an AWS Security Incident Response
case opened against botocore's own service model (Stubber), a note sent to it and its
comment posted back once, its status on the pinned summary; usage errors; outsiders refused;
and a failed automatic notification retried by the clock and delivered once."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.support.models import support_backends

from aws.sessions import AwsSessions
from composition import local_workspace
from core.clock import ManualClock
from tests.support.communications import with_communications
from tests.support.slack import ack_body, all_text, settled
from tests.support.support_cases import support_api  # noqa: F401 - fixture

ENGINEER_KEY = "AKIAENGINEER00000001"


def workspace(settings, section: dict, *, clock=None, responders=None, permissions=None):
    def adjust(s, w):
        s = with_communications(s, section)
        cfg = s.config
        update = {}
        if responders is not None:
            update["access"] = cfg.access.model_copy(update={"responders": [w.user(n) for n in responders]})
        if permissions is not None:
            update["incidents"] = cfg.incidents.model_copy(update={"permissions": {**cfg.incidents.permissions,
                                                                                   **permissions}})
        return dataclasses.replace(s, config=cfg.model_copy(update=update)) if update else s

    return local_workspace(settings, threads=2, clock=clock or ManualClock(), with_clock=True, adjust=adjust)


def command(ws, text, user="alice", channel="general") -> dict:
    reply = ws.sender.command("/incident", text, user=ws.user(user),
                              channel=channel if channel.startswith(("C", "G")) else ws.channel(channel))
    body = ack_body(reply)
    assert ws.settle()
    return body


def answered(ws, text, **kw) -> str:
    """What the user was told, in the ack or (after the work) through response_url."""
    seen = len(ws.fake.calls_to("response_url"))
    ack = command(ws, text, **kw)
    later = ws.fake.calls_to("response_url")[seen:]
    return "\n".join([all_text(ack)] + [all_text(c.body) for c in later])


def declare(ws, text, user="alice"):
    before = {i.id for i in ws.services.incidents.recent()}
    command(ws, f"declare {text}", user=user)
    return settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.id not in before), None))


def posted(ws, incident, needle: str) -> list[dict]:
    return [m for m in ws.fake.messages(incident.channel_id) if needle in all_text(m)]


# ------------------------------------------------------------------ AWS Support (moto)


def test_a_support_case_is_opened_replied_to_and_its_correspondence_posted_once(settings, moto_inprocess,
                                                                                support_api):
    ws = workspace(settings, {"aws_support": {"enabled": True, "cc_emails": ["secops@example.com"]}})
    try:
        incident = declare(ws, "sev2 Root access keys used from an unknown address")
        command(ws, "note Keys deactivated at 10:05", channel=incident.channel_id)
        command(ws, "aws-support --severity high Please help us confirm what the keys touched",
                channel=incident.channel_id)
        [record] = ws.services.repos.communications.cases(incident.id)
        assert record.kind == "support" and record.state == "open" and record.case_id.startswith("case-")
        [case] = support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases.values()
        assert case.case_id == record.case_id and case.severity_code == "high"
        assert case.subject == f"Security incident {incident.label}: Root access keys used from an unknown address"
        assert case.service_code == "general-info" and case.category_code == "using-aws"
        assert case.cc_email_addresses == ["secops@example.com"]
        assert "Please help us confirm what the keys touched" in case.communication_body
        assert "note: Keys deactivated at 10:05" in case.communication_body  # the timeline excerpt
        assert posted(ws, incident, f"AWS Support case {record.case_id} opened")  # the id in the channel
        entry = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "aws_case"][0]
        assert entry.data == {"kind": "support", "case_id": record.case_id, "event": "opened"}

        again = answered(ws, "aws-support", channel=incident.channel_id)  # one case per incident
        assert "already" in again and record.case_id in again
        assert len(support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases) == 1

        # Slack sends what people type with & < > as entities (should_escape).
        command(ws, "aws-support reply Flow logs are in the shared bucket &lt;logs&gt;", channel=incident.channel_id)
        support = boto3.client("support", region_name="us-east-1")
        bodies = [c["body"] for c in support.describe_communications(caseId=record.case_id)["communications"]]
        assert any(b.startswith("Flow logs are in the shared bucket <logs>") for b in bodies)

        engineer = boto3.client("support", region_name="us-east-1", aws_access_key_id=ENGINEER_KEY,
                                aws_secret_access_key="engineer-secret")
        engineer.add_communication_to_case(caseId=record.case_id,
                                           communicationBody="We see <script>alert(1)</script> & more calls")
        ws.advance_clock(timedelta(minutes=6))  # the clock polls DescribeCommunications
        [answer] = posted(ws, incident, "We see")
        raw = json.dumps(answer)
        assert "&lt;script&gt;" in raw and "<script>" not in raw and "&amp; more" in raw  # escaped
        assert f"{ENGINEER_KEY}@moto" in all_text(answer)
        ws.advance_clock(timedelta(minutes=6))
        assert len(posted(ws, incident, "We see")) == 1  # exactly once
        # Firebreak's own words (the case body, the reply) are not echoed back as correspondence.
        assert len(posted(ws, incident, "Flow logs are in the shared bucket")) == 1
        assert not posted(ws, incident, "Please help us confirm")
    finally:
        ws.stop()


def test_support_usage_errors_and_disabled_cases(settings, moto_inprocess, support_api):
    ws = workspace(settings, {"aws_support": {"enabled": True}, "aws_ir": {"enabled": True}})
    try:
        incident = declare(ws, "sev3 Unexpected IAM user created")
        bad = answered(ws, "aws-support --severity apocalyptic help", channel=incident.channel_id)
        assert "is not an AWS Support severity" in bad and "/incident aws-support" in bad
        assert "Say what to reply" in answered(ws, "aws-support reply", channel=incident.channel_id)
        no_case = answered(ws, "aws-support reply Any news?", channel=incident.channel_id)
        assert "has no AWS Support case to reply to" in no_case
        assert ws.services.repos.communications.cases(incident.id) == []
        assert support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases == {}
        nowhere = answered(ws, "aws-ir", channel=incident.channel_id)  # no findings, no accounts configured
        assert "has no impacted AWS account" in nowhere and "communications.aws_ir.impacted_accounts" in nowhere
        assert ws.services.repos.communications.cases(incident.id) == []
    finally:
        ws.stop()


# ------------------------------------------------------------------ AWS Security Incident Response (Stubber)


@pytest.fixture
def security_ir(aws_env, monkeypatch):
    """A security-ir client with botocore's Stubber (moto has no Security IR): every call is
    checked against the real service model. The bot's AwsSessions hand it out."""
    client = boto3.client("security-ir", region_name="us-east-1")
    stubber = Stubber(client)
    real = AwsSessions.client

    def client_for(self, service, **kw):
        return client if service == "security-ir" else real(self, service, **kw)

    monkeypatch.setattr(AwsSessions, "client", client_for)
    with stubber:
        yield stubber


IR_SECTION = {"aws_ir": {"enabled": True, "impacted_accounts": ["111122223333"],
                         "watchers": [{"email": "secops@example.com", "name": "SecOps"}]}}


def test_a_security_ir_case_is_opened_its_comments_synced_both_ways_and_its_status_shown(settings, security_ir):
    ws = workspace(settings, IR_SECTION)
    try:
        incident = declare(ws, "sev1 Ransom note found on a file server")
        security_ir.add_response("create_case", {"caseId": "1234567890"}, expected_params={
            "clientToken": ANY, "resolverType": "Self", "engagementType": "Security Incident",
            "title": f"Security incident {incident.label}: Ransom note found on a file server",
            "description": ANY, "reportedIncidentStartDate": ANY, "impactedAccounts": ["111122223333"],
            "watchers": [{"email": "secops@example.com", "name": "SecOps"}]})
        command(ws, "aws-ir Encryption started around 02:00 UTC", channel=incident.channel_id)
        [record] = ws.services.repos.communications.cases(incident.id)
        assert (record.kind, record.case_id, record.status) == ("security-ir", "1234567890", "Submitted")
        assert posted(ws, incident, "AWS Security Incident Response case 1234567890 opened")
        summary = all_text(ws.fake.messages(incident.channel_id)[0])
        assert "AWS Security Incident Response `1234567890` — Submitted" in summary

        command(ws, "note Isolated the file server's ENI", channel=incident.channel_id)
        note = [e for e in ws.services.incidents.timeline(incident.id) if e.kind == "note"][-1]
        security_ir.add_response("create_case_comment", {"commentId": "000101"}, expected_params={
            "caseId": "1234567890", "clientToken": f"firebreak-note-{note.id}", "body": ANY})
        mine = "Isolated the file server's ENI\n\n— alice, incident " + incident.label + " (Firebreak)"
        comments = {"items": [
            {"commentId": "000101", "creator": "111122223333", "body": mine},
            {"commentId": "000102", "creator": "AWS Responder", "body": "Please share <VPC> flow logs & CloudTrail"}],
            "total": 2}
        security_ir.add_response("list_comments", comments, expected_params={"caseId": "1234567890"})
        security_ir.add_response("get_case", {"caseStatus": "Acknowledged"}, expected_params={"caseId": "1234567890"})
        ws.advance_clock(timedelta(minutes=6))
        security_ir.assert_no_pending_responses()  # the note went to the case, comments and status were read
        [comment] = posted(ws, incident, "Please share")
        assert "&lt;VPC&gt;" in json.dumps(comment) and "AWS Responder" in all_text(comment)
        assert not [m for m in posted(ws, incident, "Isolated the file server") if "— alice" in all_text(m)]
        summary = all_text(ws.fake.messages(incident.channel_id)[0])
        assert "AWS Security Incident Response `1234567890` — Acknowledged" in summary
        assert posted(ws, incident, "Submitted → Acknowledged")

        security_ir.add_response("list_comments", comments, expected_params={"caseId": "1234567890"})
        security_ir.add_response("get_case", {"caseStatus": "Acknowledged"}, expected_params={"caseId": "1234567890"})
        ws.advance_clock(timedelta(minutes=6))  # nothing new: no comment sent again, nothing posted twice
        security_ir.assert_no_pending_responses()
        assert len(posted(ws, incident, "Please share")) == 1

        again = answered(ws, "aws-ir", channel=incident.channel_id)
        assert "already" in again and "1234567890" in again and "Acknowledged" in again
        assert "AWS Security Incident Response `1234567890` — Acknowledged" in answered(
            ws, "stakeholders", channel=incident.channel_id)
    finally:
        ws.stop()


# ------------------------------------------------------------------ who may


def test_outsiders_and_responders_without_the_role_are_refused(settings, moto_inprocess, support_api):
    section = {"aws_support": {"enabled": True}, "aws_ir": {"enabled": True},  # the role is checked first
               "audiences": {"management": {"slack_users": ["U0NOBODY"]}},
               "regulatory": {"enabled": True, "clocks": [{"regime": "gdpr", "name": "GDPR", "deadline_hours": 72,
                                                           "categories": ["data-exposure"]}]}}
    restricted = {"notify": ["commander"], "page": ["commander"], "notified": ["commander"]}
    ws = workspace(settings, section, responders=["alice", "bob"], permissions=restricted)
    try:
        incident = declare(ws, "sev2 Customer export bucket made public")
        for text in ("notify management", "page management", "notified gdpr", "aws-support help", "aws-ir"):
            outsider = answered(ws, text, user="carol", channel=incident.channel_id)
            assert "not on Firebreak's responder list" in outsider, text
            member = answered(ws, text, user="bob", channel=incident.channel_id)
            assert "Only the commander" in member and f"/incident {text.split()[0]}" in member, text
        assert ws.services.repos.communications.cases(incident.id) == []
        assert support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases == {}
        assert ws.services.repos.communications.notices(incident.id) == []
        assert not [v for v in ws.fake.views.values() if v.get("callback_id", "").startswith("comms")]
    finally:
        ws.stop()


# ------------------------------------------------------------------ retries of automatic notifications


def test_a_failed_automatic_notification_is_retried_by_the_clock_and_delivered_once(settings, moto_inprocess):
    region, account = "us-east-1", DEFAULT_ACCOUNT_ID
    arn = f"arn:aws:sns:{region}:{account}:firebreak-management"
    section = {"audiences": {"management": {"sns_topic_arn": arn}},
               "rules": [{"when": ["declared"], "notify": ["management"]}], "retry_seconds": 60}
    ws = workspace(settings, section)
    try:
        incident = declare(ws, "sev2 Payment API keys in a public gist")  # the topic does not exist yet
        [notice] = ws.services.repos.communications.notices(incident.id)
        assert notice.state == "failed" and "email:" in notice.detail["errors"][0]
        assert posted(ws, incident, "Could not tell management (declaration)")

        sns, sqs = boto3.client("sns", region_name=region), boto3.client("sqs", region_name=region)
        assert sns.create_topic(Name="firebreak-management")["TopicArn"] == arn
        queue = sqs.create_queue(QueueName="mail")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)

        ws.advance_clock(timedelta(seconds=30))  # before its backoff: not yet
        assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
        ws.advance_clock(timedelta(seconds=45))
        ws.advance_clock(timedelta(minutes=30))  # delivered: never again
        mails = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        assert len(mails) == 1 and "Payment API keys" in json.loads(mails[0]["Body"])["Message"]
        [notice] = ws.services.repos.communications.notices(incident.id)
        assert notice.state == "sent" and notice.detail["retries"] == 1
        assert posted(ws, incident, "Told management (declaration, attempt 2)")
    finally:
        ws.stop()


def test_resolving_the_incident_resolves_its_support_case_when_configured(settings, moto_inprocess, support_api):
    ws = workspace(settings, {"aws_support": {"enabled": True, "resolve_on_resolution": True}})
    try:
        incident = declare(ws, "sev3 Suspicious STS calls")
        assert "communications.aws_ir.enabled" in answered(ws, "aws-ir", channel=incident.channel_id)  # off
        command(ws, "aws-support", channel=incident.channel_id)
        [record] = ws.services.repos.communications.cases(incident.id)
        case = support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases[record.case_id]
        before = case.status
        command(ws, "resolve", channel=incident.channel_id)
        [record] = ws.services.repos.communications.cases(incident.id)
        assert record.state == "resolved" and case.status != before  # ResolveCase reached moto
        assert posted(ws, incident, f"AWS Support case {record.case_id} resolved")
        summary = all_text(ws.fake.messages(incident.channel_id)[0])
        assert f"AWS Support `{record.case_id}` — resolved" in summary  # on the summary too
    finally:
        ws.stop()


# ------------------------------------------------------------------ private incidents (issue 22 item 17)


def test_a_private_incidents_support_case_copies_no_cc_address(settings, moto_inprocess, support_api):
    ws = workspace(settings, {"aws_support": {"enabled": True, "cc_emails": ["secops@example.com"]}})
    try:
        incident = declare(ws, "private sev2 Payroll export mailed to the wrong address")
        command(ws, "aws-support Please help", channel=incident.channel_id)
        [case] = support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases.values()
        assert case.cc_email_addresses in ([], None)
        assert posted(ws, incident, "1 CC address(es) left out (private incident)")
        command(ws, "aws-support reply More detail", channel=incident.channel_id)
        assert case.cc_email_addresses in ([], None)
    finally:
        ws.stop()


def test_a_private_incidents_support_case_copies_cc_addresses_allowed_to_see_it(settings, moto_inprocess,
                                                                                 support_api):
    ws = workspace(settings, {"aws_support": {"enabled": True, "cc_emails": ["secops@example.com"],
                                              "cc_may_see_private": True}})
    try:
        incident = declare(ws, "private sev2 Payroll export mailed to the wrong address")
        command(ws, "aws-support Please help", channel=incident.channel_id)
        [case] = support_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].cases.values()
        assert case.cc_email_addresses == ["secops@example.com"]
        assert not posted(ws, incident, "left out")
    finally:
        ws.stop()


def test_a_private_incidents_security_ir_case_names_no_watcher_unless_allowed(settings, security_ir):
    ws = workspace(settings, IR_SECTION)
    try:
        incident = declare(ws, "private sev1 Executive mailbox read by an outsider")
        security_ir.add_response("create_case", {"caseId": "1234567891"}, expected_params={
            "clientToken": ANY, "resolverType": "Self", "engagementType": "Security Incident",
            "title": ANY, "description": ANY, "reportedIncidentStartDate": ANY,
            "impactedAccounts": ["111122223333"], "watchers": []})
        command(ws, "aws-ir", channel=incident.channel_id)
        security_ir.assert_no_pending_responses()
        assert posted(ws, incident, "1 watcher(s) left out (private incident)")
    finally:
        ws.stop()
