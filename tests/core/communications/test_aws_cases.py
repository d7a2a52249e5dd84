"""AWS cases decided by core (fakes for the AWS ports, the real database): what goes into a
case and what does not, where the impacted accounts and start come from, parsing of
`/incident aws-support`, and a failed opening that can be tried again."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from core.incidents import service as incidents, lifecycle
from core.communications import aws_cases
from core.communications.ports import Outreach
from core.errors import UsageError
from core.findings.ports import LinkedFinding
from tests.support.communications import with_communications
from tests.support.fakes import fake_services


class FakeDesk:
    def __init__(self, fail: Exception | None = None):
        self.opened, self.replies, self.fail = [], [], fail

    def open_case(self, **params):
        if self.fail:
            raise self.fail
        self.opened.append(params)
        return f"case-{len(self.opened)}"

    def reply(self, case_id, body, cc_emails):
        self.replies.append((case_id, body))

    def correspondence(self, case_id):
        return []

    def resolve(self, case_id):
        return "resolved"


class FakeIr:
    def __init__(self):
        self.opened = []

    def open_case(self, **params):
        self.opened.append(params)
        return "1234567890"


class Findings:
    def __init__(self, linked):
        self._linked = linked

    def linked(self, incident_id):
        return self._linked


def finding(account, region, first_seen):
    return LinkedFinding(f"f-{account}-{first_seen}", "Recon", "t", "high", first_seen, account, region)


@pytest.fixture
def desk():
    return FakeDesk()


def services_with(settings, clock, section, **outreach):
    return fake_services(with_communications(settings, section), clock, outreach=Outreach(**outreach))


def declare(services, title, private=False):
    return incidents.declare(services, title=title, declared_by="U0ALICE", severity="sev2", private=private).incident


def note(services, incident, text):
    cfg = services.config.incidents
    return incidents.apply(services, incident.id, lambda cur, _at: lifecycle.note(cfg, cur, text, "U0ALICE"),
                           actor="U0ALICE")[0]


def test_a_support_case_carries_its_own_incident_only(settings, clock, desk):
    services = services_with(settings, clock, {"aws_support": {"enabled": True, "timeline_entries": 3}}, support=desk)
    other = declare(services, "Payroll mailed to a supplier", private=True)
    note(services, other, "the supplier is Acme")
    incident = declare(services, "Root keys used", private=True)
    for n in range(5):
        note(services, incident, f"step {n}")
    opened = aws_cases.open_support(services, incident, actor="U0ALICE", severity="urgent", text="please help")
    [params] = desk.opened
    body = params["body"]
    assert opened.created and opened.record.case_id == "case-1" and params["severity"] == "urgent"
    assert "Root keys used" in body and "please help" in body
    assert "step 4" in body and "step 1" not in body  # the latest timeline_entries only
    assert "Payroll" not in body and "Acme" not in body  # nothing of another incident
    again = aws_cases.open_support(services, incident, actor="U0ALICE")
    assert not again.created and again.record.case_id == "case-1" and len(desk.opened) == 1


def test_a_failed_opening_is_recorded_and_can_be_tried_again(settings, clock):
    failing = FakeDesk(fail=RuntimeError("SubscriptionRequiredException"))
    services = services_with(settings, clock, {"aws_support": {"enabled": True}}, support=failing)
    incident = declare(services, "Root keys used")
    with pytest.raises(RuntimeError):
        aws_cases.open_support(services, incident, actor="U0ALICE")
    [record] = services.repos.communications.cases(incident.id)
    assert record.state == "failed" and "SubscriptionRequired" in record.error
    assert any("Could not open an AWS Support case" in e.text for e in services.incidents.timeline(incident.id))
    failing.fail = None
    assert aws_cases.open_support(services, incident, actor="U0ALICE").created


def test_an_ir_case_names_the_findings_accounts_regions_and_earliest_start(settings, clock):
    ir = FakeIr()
    services = services_with(settings, clock, {"aws_ir": {"enabled": True, "resolver_type": "AWS",
                                                          "watchers": [{"email": "secops@example.com"}]}},
                             security_ir=ir)
    services = dataclasses.replace(services, repos=dataclasses.replace(services.repos, findings=Findings([
        finding("111122223333", "eu-west-1", "2026-01-02T03:00:00Z"),
        finding("444455556666", "us-east-1", "2026-01-01T22:15:00Z"),
        finding("111122223333", "eu-west-1", "2026-01-02T04:00:00Z")])))
    incident = declare(services, "Crypto miners in two accounts")
    opened = aws_cases.open_ir(services, incident, actor="U0ALICE", text="started overnight", key="command:T1")
    [params] = ir.opened
    assert opened.record.status == "Submitted"
    assert params["accounts"] == ["111122223333", "444455556666"] and params["regions"] == ["eu-west-1", "us-east-1"]
    assert params["started"] == datetime(2026, 1, 1, 22, 15, tzinfo=timezone.utc)
    assert params["resolver_type"] == "AWS" and params["watchers"] == [{"email": "secops@example.com"}]
    assert params["token"] == f"firebreak-{incident.id}-command:T1" and "started overnight" in params["description"]


@pytest.mark.parametrize("text, expected", [
    ("", ("open", None, "")),
    ("--severity high keys leaked", ("open", "high", "keys leaked")),
    ("--severity=Critical  keys", ("open", "critical", "keys")),
    ("reply  any news?", ("reply", None, "any news?")),
    ("please look", ("open", None, "please look")),
])
def test_aws_support_text_parses(text, expected):
    parsed = aws_cases.parse_support(text)
    assert (parsed.action, parsed.severity, parsed.text) == expected


@pytest.mark.parametrize("text, problem", [
    ("--severity apocalyptic", "is not an AWS Support severity"),
    ("--severity", "--severity needs a value"),
    ("--sev high", "Unknown option"),
    ("reply", "Say what to reply"),
    ("x" * 4001, "the limit is 4000"),
])
def test_aws_support_text_problems(text, problem):
    with pytest.raises(UsageError) as caught:
        aws_cases.parse_support(text)
    assert problem in caught.value.message and "/incident aws-support" in caught.value.usage
