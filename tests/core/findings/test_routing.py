"""Routing rules: first match wins, every key is AND, lists are OR; bad rules are config errors."""

import textwrap

import pytest

from core.errors import ConfigError
from core.findings.routing import Router
from core.settings import load_config
from tests.support.findings import finding


def _config(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(textwrap.dedent(text))
    return load_config(path)[0]


def test_first_matching_route_wins_and_default_posts_to_triage(tmp_path):
    router = Router.from_config(_config(tmp_path, """
        findings:
          routes:
            - {name: recon, match: {type: ["Recon:*"], region: [us-east-1]}, action: suppress}
            - {name: high, match: {min_severity: high}, action: post, channel: sec-high}
            - {name: listed, match: {severity: [low], source: [securityhub]}, action: declare}
    """))
    assert router.route(finding()).route == "recon"
    assert router.route(finding(region="eu-west-1")).route == "default"
    assert router.route(finding(region="eu-west-1")).channel == "security-triage"
    high = router.route(finding(type="Backdoor:EC2/C&CActivity.B", severity="critical"))
    assert (high.route, high.action, high.channel) == ("high", "post", "sec-high")
    listed = router.route(finding(type="Software", severity="low", source="securityhub"))
    assert (listed.action, listed.incident_severity, listed.channel) == ("declare", "sev4", "security-triage")
    assert router.route(finding(type="Software", severity="low")).route == "default"


@pytest.mark.parametrize("rules, problem", [
    ("- {name: x, action: declare, incident_severity: sev9}", "incident_severity: 'sev9' is not one of"),
    ("- {name: x, action: declare, category: nope}", "category: 'nope' is not one of"),
    ("- {name: x, action: post}\n    - {name: x, action: post}", "route names must be unique"),
    ("- {name: default, action: post}", "name of an implicit route"),
])
def test_cross_section_mistakes_are_config_errors(tmp_path, rules, problem):
    config = _config(tmp_path, f"findings:\n  routes:\n    {rules}\n")
    with pytest.raises(ConfigError) as caught:
        Router.from_config(config)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("rules, problem", [
    ("- {name: x, action: suppress, channel: c}", "suppresses"),
    ("- {name: x, action: post, category: malware}", "need action: declare"),
    ("- {name: x, action: page}", "findings.routes[0].action: Input should be"),
    ("- {name: x, action: post, match: {min_severity: huge}}", "min_severity"),
])
def test_route_shape_mistakes_name_file_and_line(tmp_path, rules, problem):
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, f"findings:\n  routes:\n    {rules}\n")
    assert any(problem in p and "mine.yaml:3" in p for p in caught.value.problems), caught.value.problems


def test_severity_map_must_name_known_severities(tmp_path):
    config = _config(tmp_path, "findings:\n  severity_map: {critical: sev0}\n")
    with pytest.raises(ConfigError) as caught:
        Router.from_config(config)
    assert any("severity_map.critical" in p for p in caught.value.problems)
