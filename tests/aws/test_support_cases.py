"""aws/support_cases.py on its own: the Support desk against moto (us-east-1 whatever the
default region, every page of correspondence, oldest first, stable keys, errors named with
the call and AWS's code) and Security Incident Response against botocore's service model
with Stubber (pagination, the optional regions, errors)."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from aws.errors import AwsActionError
from aws.sessions import AwsSessions
from aws.support_cases import AwsSecurityIr, AwsSupportDesk
from core.settings import load_settings
from tests.support.support_cases import support_api  # noqa: F401 - fixture


def sessions() -> AwsSessions:
    cfg = load_settings(environ={}).config.aws.model_copy(update={"default_region": "eu-west-1"})
    return AwsSessions(cfg)


def open_case(desk: AwsSupportDesk, **kw) -> str:
    params = dict(subject="Security incident #7: keys", body="What happened", severity="urgent",
                  service_code="general-info", category_code="using-aws", language="en", issue_type="technical",
                  cc_emails=[])
    return desk.open_case(**(params | kw))


def test_support_cases_live_in_us_east_1_and_their_correspondence_comes_oldest_first(moto_inprocess, support_api):
    desk = AwsSupportDesk(sessions())
    case_id = open_case(desk, cc_emails=["secops@example.com"])
    desk.reply(case_id, "Second message", ["secops@example.com"])
    desk.reply(case_id, "Third message", [])
    first = desk.correspondence(case_id)
    assert [m.body for m in first] == ["What happened", "Second message", "Third message"]
    assert [m.key for m in desk.correspondence(case_id)] == [m.key for m in first]  # stable across polls
    assert len({m.key for m in first}) == 3
    # The case was created where the Support API answers, not in the default region.
    assert [c["caseId"] for c in boto3.client("support", region_name="us-east-1").describe_cases(
        includeResolvedCases=True)["cases"]] == [case_id]
    assert desk.resolve(case_id) == "resolved"


def test_support_errors_name_the_call_and_the_aws_code(moto_inprocess, support_api):
    desk = AwsSupportDesk(sessions())
    with pytest.raises(AwsActionError) as caught:
        desk.correspondence("case-12345678910-2020-nosuchcase")
    assert caught.value.code == "CaseIdNotFound"
    assert "support:DescribeCommunications (CaseIdNotFound)" in caught.value.message


@pytest.fixture
def stubbed(aws_env, monkeypatch):
    client = boto3.client("security-ir", region_name="eu-west-1")
    asked = []
    real = AwsSessions.client

    def client_for(self, service, **kw):
        asked.append((service, kw.get("region")))
        return client if service == "security-ir" else real(self, service, **kw)

    monkeypatch.setattr(AwsSessions, "client", client_for)
    with Stubber(client) as stubber:
        yield stubber, asked


def test_security_ir_cases_against_the_service_model(stubbed):
    stubber, asked = stubbed
    ir = AwsSecurityIr(sessions(), region="eu-central-1")
    started = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    stubber.add_response("create_case", {"caseId": "9876543210"}, expected_params={
        "clientToken": "firebreak-7-command:T1", "resolverType": "AWS", "title": "Security incident #7",
        "description": "What happened", "engagementType": "Investigation", "reportedIncidentStartDate": started,
        "impactedAccounts": ["111122223333"], "watchers": [{"email": "secops@example.com"}],
        "impactedAwsRegions": [{"region": "eu-west-1"}]})
    assert ir.open_case(title="Security incident #7", description="What happened", resolver_type="AWS",
                        engagement_type="Investigation", started=started, accounts=["111122223333"],
                        watchers=[{"email": "secops@example.com"}], regions=["eu-west-1"],
                        token="firebreak-7-command:T1") == "9876543210"
    assert asked == [("security-ir", "eu-central-1")]
    later = datetime(2026, 1, 2, 5, 0, tzinfo=timezone.utc)
    stubber.add_response("list_comments", {"items": [
        {"commentId": "000002", "creator": "AWS Responder", "body": "second", "createdDate": later}],
        "nextToken": "page-2"}, expected_params={"caseId": "9876543210"})
    stubber.add_response("list_comments", {"items": [
        {"commentId": "000001", "creator": "111122223333", "body": "first", "createdDate": started}]},
        expected_params={"caseId": "9876543210", "nextToken": "page-2"})
    assert [(c.key, c.author, c.body) for c in ir.comments("9876543210")] == [
        ("000001", "111122223333", "first"), ("000002", "AWS Responder", "second")]
    stubber.add_response("create_case_comment", {"commentId": "000003"}, expected_params={
        "caseId": "9876543210", "body": "a note", "clientToken": "firebreak-note-12"})
    assert ir.comment("9876543210", "a note", token="firebreak-note-12") == "000003"
    stubber.add_client_error("get_case", "AccessDeniedException", "not a member", 403,
                             expected_params={"caseId": "9876543210"})
    with pytest.raises(AwsActionError) as caught:
        ir.status("9876543210")
    assert "security-ir:GetCase (AccessDeniedException)" in caught.value.message
    stubber.assert_no_pending_responses()
