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
