"""The `communications:` section: off by default, and every wrong name reported with the
file and line where it was written."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import load_config


def test_shipped_defaults_send_nothing():
    config, _ = load_config()
    comms = config.communications
    assert comms.audiences == {} and comms.rules == [] and comms.user_pager is None
    assert not comms.regulatory.enabled and comms.regulatory.clocks == []
    assert config.scheduling.escalation.page == []
    assert comms.due("declared", "sev1", "other") == ([], [])


def write(tmp_path, text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.problems


def test_unknown_names_are_reported_with_their_lines(tmp_path):
    found = problems(tmp_path, """\
communications:
  audiences:
    management:
      slack_channels: ["#exec"]
    on-call:
      slack_users: [U0LEAD]
  rules:
    - when: [declared]
      severities: [sev9]
      notify: [managment]
      page: [on-call]
  regulatory:
    enabled: true
    clocks:
      - {regime: gdpr, name: GDPR, categories: [personal-data], deadline_hours: 72}
      - {regime: gdpr, name: again, categories: [other], deadline_hours: 1}
scheduling:
  escalation:
    page: [nobody]
""")
    text = "\n".join(found)
    assert "mine.yaml:10: communications.rules[0].notify[0]: unknown audience 'managment'" in text
    assert "mine.yaml:9: communications.rules[0].severities[0]: unknown severity 'sev9'" in text
    assert "mine.yaml:11: communications.rules[0].page[0]: audience 'on-call' has no pager" in text
    assert "mine.yaml:15: communications.regulatory.clocks[0].categories[0]: unknown category 'personal-data'" in text
    assert "mine.yaml:16: communications.regulatory.clocks[1].regime: regime 'gdpr' appears twice" in text
    assert "mine.yaml:19: scheduling.escalation.page[0]: unknown audience 'nobody'" in text


def test_shapes_are_checked_and_secrets_stay_in_the_environment(tmp_path):
    found = "\n".join(problems(tmp_path, """\
communications:
  audiences:
    leads:
      pager: {type: pagerduty}
    mgmt:
      sns_topic_arn: not-an-arn
  regulatory:
    clocks:
      - {regime: sec, name: SEC, categories: [other], deadline_hours: 1, business_days: 4}
"""))
    assert "mine.yaml:4: communications.audiences.leads.pager: a pagerduty pager needs routing_key_env" in found
    assert "mine.yaml:6: communications.audiences.mgmt.sns_topic_arn: expected an SNS topic ARN" in found
    assert "mine.yaml:2: communications.audiences: audience names are lower-case" in "\n".join(problems(tmp_path, """\
communications:
  audiences:
    Bad Name: {slack_users: [U0X]}
"""))
    assert "mine.yaml:9: communications.regulatory.clocks[0]: give exactly one of deadline_hours" in found
    env = "\n".join(problems(tmp_path, """\
communications:
  audiences:
    leads:
      pager: {type: pagerduty, routing_key_env: "r0ut1ng-key-itself"}
"""))
    assert "mine.yaml:4: communications.audiences.leads.pager.routing_key_env: expected the NAME of an environment" in env


def test_a_plan_that_names_what_exists_loads(tmp_path):
    config, _ = load_config(write(tmp_path, """\
communications:
  audiences:
    leads: {slack_channels: ["#security-leads"], pager: {type: pagerduty, routing_key_env: PD_LEADS}}
    management: {slack_users: [U0BOSS, S0EXECS], sns_topic_arn: "arn:aws:sns:us-east-1:123456789012:mgmt"}
  rules:
    - {when: [declared, severity], severities: [sev1, sev2], notify: [leads, management], page: [leads]}
    - {when: [status_update], severities: [sev1], notify: [management]}
  user_pager: leads
scheduling:
  escalation: {page: [leads]}
"""))
    comms = config.communications
    assert comms.due("declared", "sev2", "other") == (["leads", "management"], ["leads"])
    assert comms.due("status_update", "sev2", "other") == ([], [])
    assert comms.due("status_update", "sev1", "other") == (["management"], [])


def test_aws_cases_and_retries_are_off_or_conservative_by_default():
    config, _ = load_config()
    comms = config.communications
    assert not comms.aws_support.enabled and not comms.aws_ir.enabled
    assert (comms.aws_support.service_code, comms.aws_support.category_code) == ("general-info", "using-aws")
    assert comms.aws_support.default_severity == "normal" and not comms.aws_support.resolve_on_resolution
    assert comms.aws_ir.resolver_type == "Self" and comms.aws_ir.watchers == []
    assert config.incidents.permissions["aws-support"] == ["commander", "comms"]
    assert config.incidents.permissions["aws-ir"] == ["commander", "comms"]


def test_aws_case_settings_are_checked_with_their_lines(tmp_path):
    found = "\n".join(problems(tmp_path, """\
communications:
  aws_support:
    enabled: true
    default_severity: apocalyptic
    cc_emails: [not-an-address]
    service_code: "General Info"
  aws_ir:
    enabled: true
    resolver_type: Somebody
    region: mars-1
    watchers:
      - {email: secops}
    impacted_accounts: ["1234"]
  retry_attempts: 99
incidents:
  permissions:
    aws-ir: [janitor]
"""))
    assert "mine.yaml:4: communications.aws_support.default_severity: Input should be 'low'" in found
    assert "mine.yaml:5: communications.aws_support.cc_emails: expected email addresses" in found
    assert "mine.yaml:6: communications.aws_support.service_code: expected an AWS Support code" in found
    assert "mine.yaml:9: communications.aws_ir.resolver_type: Input should be 'Self' or 'AWS'" in found
    assert "mine.yaml:10: communications.aws_ir.region: String should match pattern" in found
    assert "mine.yaml:12: communications.aws_ir.watchers[0].email: expected email addresses like" in found
    assert "mine.yaml:13: communications.aws_ir.impacted_accounts: expected 12-digit AWS account ids" in found
    assert "mine.yaml:14: communications.retry_attempts: Input should be less than or equal to 20" in found
    assert "permissions.aws-ir: unknown roles ['janitor']" in found


def test_aws_case_settings_that_fit_load(tmp_path):
    config, _ = load_config(write(tmp_path, """\
communications:
  aws_support: {enabled: true, default_severity: high, cc_emails: [secops@example.com], resolve_on_resolution: true}
  aws_ir:
    enabled: true
    region: eu-west-1
    resolver_type: AWS
    watchers: [{email: secops@example.com, name: SecOps, job_title: On-call}]
    impacted_accounts: ["111122223333"]
incidents:
  permissions: {aws-support: [commander], notify: [commander, comms], page: [commander]}
"""))
    comms = config.communications
    assert comms.aws_support.default_severity == "high" and comms.aws_ir.region == "eu-west-1"
    assert comms.aws_ir.watchers[0].job_title == "On-call" and comms.aws_ir.impacted_accounts == ["111122223333"]
    assert config.incidents.permissions["notify"] == ["commander", "comms"]


def test_email_to_a_topic_the_shipped_policy_cannot_publish_to_is_named(tmp_path):
    from core.risks import risky_settings

    config, _ = load_config(write(tmp_path, """\
communications:
  audiences:
    mgmt: {sns_topic_arn: "arn:aws:sns:us-east-1:123456789012:mgmt"}
    legal: {sns_topic_arn: "arn:aws:sns:us-east-1:123456789012:firebreak-legal"}
"""))
    named = [w for w in risky_settings(config) if w.startswith("communications.")]
    assert len(named) == 1 and named[0].startswith("communications.audiences.mgmt.sns_topic_arn")
