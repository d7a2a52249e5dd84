"""Security Hub polling with `securityhub_poll.api: v2`: GetFindingsV2 pages of OCSF findings
(published samples, tests/fixtures/README.md) through the whole intake, with a cursor of its
own. GetFindingsV2 is stubbed with botocore's Stubber (moto 5.2 does not implement it): the
request's filters, sort and cursor, and each response, are checked against the installed
securityhub model."""

import dataclasses
import json

import boto3
from botocore.stub import Stubber

from aws.findings_sources import SECURITYHUB_V2_CURSOR, poll_security_hub
from composition import build_services
from core.nulls import NoNotifier
from store.findings.intake import SqlIntakeRepository
from store.findings.repository import SqlFindingRepository
from tests.conftest import REPO
from tests.support.findings import tuned

OCSF = REPO / "tests" / "fixtures" / "ocsf"


class Recorder(NoNotifier):
    def __init__(self):
        self.shown = []

    def finding_changed(self, f):
        self.shown.append(f)

    def drain(self, timeout=None):
        return True


def v2(settings):
    cfg = settings.config
    poll = cfg.findings.securityhub_poll.model_copy(update={"api": "v2", "enabled": True})
    findings = cfg.findings.model_copy(update={"securityhub_poll": poll})
    return dataclasses.replace(settings, config=cfg.model_copy(update={"findings": findings}))


def request(start: str, end: str, **more) -> dict:
    return {"Filters": {"CompositeFilters": [{"DateFilters": [
        {"FieldName": "finding_info.modified_time_dt", "Filter": {"Start": start, "End": end}}]}]},
        "SortCriteria": [{"Field": "finding_info.modified_time_dt", "SortOrder": "asc"}], "MaxResults": 100, **more}


def test_v2_poll_pages_through_get_findings_v2_and_keeps_its_own_cursor(settings, clock, aws_env):
    services = build_services(v2(tuned(settings)), clock=clock, notifier=Recorder())
    compliance = json.loads((OCSF / "sh2-ocsf-2003-compliance-sqs1-elastic.json").read_text())
    vulnerability = json.loads((OCSF / "sh2-ocsf-2002-vulnerability-cve-2025-8194-elastic.json").read_text())
    client = boto3.client("securityhub", region_name="us-east-1")
    first = request("2025-12-31T23:00:00.000Z", "2026-01-01T00:00:00.000Z")
    with Stubber(client) as stub:
        stub.add_response("get_findings_v2", {"Findings": [compliance], "NextToken": "page-2"}, first)
        stub.add_response("get_findings_v2", {"Findings": [vulnerability]}, {**first, "NextToken": "page-2"})
        summary = poll_security_hub(services, client)
        stub.assert_no_pending_responses()
    assert (summary.new, summary.rejected) == (2, [])
    stored = SqlFindingRepository(services.db).by_finding_id(compliance["metadata"]["uid"])
    assert (stored.source, stored.raw_format, stored.account) == ("securityhub", "ocsf", "123456789012")
    cursor = SqlIntakeRepository(services.db).cursor(SECURITYHUB_V2_CURSOR)
    assert cursor == "2025-09-26T16:24:03.057Z"  # the vulnerability's finding_info.modified_time_dt
    clock.advance(minutes=5)
    with Stubber(client) as stub:
        stub.add_response("get_findings_v2", {"Findings": [vulnerability]},
                          request(cursor, "2026-01-01T00:05:00.000Z"))
        again = poll_security_hub(services, client)
        stub.assert_no_pending_responses()
    assert (again.new, again.unchanged) == (0, 1)
    services.db.dispose()
