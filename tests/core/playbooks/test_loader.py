"""Playbook files: the shipped ones are valid, broken ones are reported with file and line."""

import textwrap

import pytest

from core.errors import ConfigError
from core.playbooks.loader import load_playbooks
from core.settings import load_config
from tests.conftest import REPO
from tests.support.cli import run_bot


@pytest.fixture
def cfg():
    return load_config()[0].incidents


def _problems(tmp_path, cfg, text, name="broken.yaml"):
    (tmp_path / name).write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_playbooks(tmp_path, cfg)
    return caught.value.problems


def test_shipped_playbooks_load_and_cover_the_guidance(cfg):
    library = load_playbooks(REPO / "playbooks", cfg)
    assert set(library) == {"compromised-iam-credentials", "compromised-ec2-instance", "s3-public-exposure",
                            "crypto-mining", "unauthorized-network-activity", "denial-of-service",
                            "root-account-activity"}
    for playbook in library.values():
        assert playbook.phases.get("containment"), f"{playbook.name} has no containment steps"
        assert playbook.total_steps >= 6


def test_shipped_playbooks_propose_remediation_in_eradication_and_recovery(cfg):
    library = load_playbooks(REPO / "playbooks", cfg)

    def proposed(name, phase):
        return [(s.remediate.action, s.remediate.target) for s in library[name].phases.get(phase, [])
                if s.remediate is not None]

    assert proposed("compromised-iam-credentials", "eradication") == [
        ("delete-access-key", "{access_key_id}"), ("delete-login-profile", "{user}")]
    assert ("replace-instance", "{instance_id}") in proposed("compromised-ec2-instance", "eradication")
    assert proposed("compromised-ec2-instance", "recovery") == [("lift-isolation", "{instance_id}")]
    assert proposed("s3-public-exposure", "eradication") == [("restore-bucket-policy", "{bucket}")]
    assert all(not proposed(p.name, phase) for p in library.values()
               for phase in ("detection", "analysis", "containment", "post-incident")), \
        "remediation is proposed only once containment is done"


VALID = """
name: demo
description: A demo.
match:
  categories: [malware]
phases:
  analysis:
    - check: Look.
"""


def test_a_minimal_playbook_loads(tmp_path, cfg):
    (tmp_path / "demo.yaml").write_text(VALID)
    library = load_playbooks(tmp_path, cfg)
    assert [key for key, _ in library["demo"].keyed("analysis")] == ["analysis-1"]


def test_step_with_two_kinds_names_file_and_line(tmp_path, cfg):
    problems = _problems(tmp_path, cfg, """
        name: demo
        description: A demo.
        match: {categories: [malware]}
        phases:
          analysis:
            - check: Look.
            - check: Look again.
              ask: And ask?
    """)
    assert problems == [f"{tmp_path / 'broken.yaml'}:8: phases.analysis[1]: a step is exactly one of check, ask, "
                        "contain, evidence, remediate, investigate, notify (got ['check', 'ask'])"]


def test_unknown_action_phase_placeholder_and_key(tmp_path, cfg):
    problems = "\n".join(_problems(tmp_path, cfg, """
        name: demo
        description: A demo.
        match: {categories: [malware]}
        phases:
          containment:
            - contain: {action: nuke-account, target: "{instance_id}"}
            - contain: {action: isolate-instance, target: "{hostname}"}
          cleanup:
            - check: x
        colour: red
    """))
    path = tmp_path / "broken.yaml"
    assert f"{path}:7: phases.containment[0].contain.action: unknown response action 'nuke-account'" in problems
    assert f"{path}:8: phases.containment[1].contain.target: unknown placeholder {{hostname}}" in problems
    assert f"{path}:9: phases.cleanup:" in problems
    assert f"{path}:11: colour: unknown key" in problems


def test_unknown_category_and_severity_against_config(tmp_path, cfg):
    problems = _problems(tmp_path, cfg, """
        name: demo
        description: A demo.
        match:
          categories: [phishing]
          severities: [sev0]
        phases:
          analysis:
            - check: x
    """)
    assert any(p.startswith(f"{tmp_path / 'broken.yaml'}:5: match.categories[0]: unknown category 'phishing'")
               for p in problems)
    assert any(":6: match.severities[0]: unknown severity 'sev0'" in p for p in problems)


def test_yaml_syntax_error_and_duplicate_names(tmp_path, cfg):
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    (tmp_path / "c.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_playbooks(tmp_path, cfg)
    text = "\n".join(caught.value.problems)
    assert f"{tmp_path / 'b.yaml'}:1: name: 'demo' is also the name of {tmp_path / 'a.yaml'}" in text
    assert f"{tmp_path / 'c.yaml'}:" in text and "invalid YAML" in text


def test_check_config_reports_playbook_problems(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    (books / "x.yaml").write_text("name: x\ndescription: y\nmatch: {}\nphases:\n  analysis:\n    - {}\n")
    config = tmp_path / "mine.yaml"
    config.write_text(f"playbooks:\n  directory: {books}\n")
    result = run_bot("check-config", str(config))
    assert result.returncode == 1
    assert f"{books / 'x.yaml'}:6: phases.analysis[0]: a step is exactly one of" in result.stderr
