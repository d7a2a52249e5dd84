"""Configuration: defaults, the user's file merged over them, and precise complaints."""

import textwrap

import pytest

from core.errors import ConfigError
from core.settings import Secrets, load_config, load_settings
from tests.support.cli import run_bot


def _write(tmp_path, text, name="firebreak.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _problems(path):
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_shipped_defaults_are_valid():
    config, sources = load_config()
    assert config.incidents.severity_names == ["sev1", "sev2", "sev3", "sev4"]
    assert config.incidents.default_severity in config.incidents.severity_names
    assert [p.name for p in sources] == ["default.yaml"]


def test_user_file_merges_key_by_key_and_lists_replace(tmp_path):
    path = _write(tmp_path, """
        slack:
          announce_channel: sec-incidents
        incidents:
          categories: [phishing, other]
    """)
    config, sources = load_config(path)
    assert config.slack.announce_channel == "sec-incidents"
    assert config.slack.triage_channel == "security-triage"  # untouched sibling kept
    assert config.incidents.categories == ["phishing", "other"]
    assert sources[-1] == path


def test_every_problem_names_file_line_key_and_expectation(tmp_path):
    path = _write(tmp_path, """
        slack:
          announce_chanel: typo
        server:
          port: 99999
        aws:
          retry_mode: fast
    """)
    problems = _problems(path)
    assert f"{path}:3: slack.announce_chanel: unknown key" in "\n".join(problems)
    assert any(p.startswith(f"{path}:5: server.port:") and "65535" in p for p in problems)
    assert any(p.startswith(f"{path}:7: aws.retry_mode:") and "'standard'" in p and "fast" in p
               for p in problems)
    assert len(problems) == 3


def test_cross_field_rule_is_reported(tmp_path):
    path = _write(tmp_path, """
        incidents:
          default_severity: sev9
    """)
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:2: incidents") and "sev9" in problem and "sev1" in problem


def test_list_items_are_located(tmp_path):
    path = _write(tmp_path, """
        incidents:
          severities:
            - name: sev1
            - name: "Bad Name"
          default_severity: sev1
    """)
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:5: incidents.severities[1].name:")


def test_secrets_in_a_file_are_refused(tmp_path):
    path = _write(tmp_path, """
        slack:
          bot_token: xoxb-should-not-be-here
    """)
    [problem] = _problems(path)
    assert f"{path}:3: slack.bot_token: secrets are read from the environment only" in problem
    assert "xoxb-should-not-be-here" not in problem


def test_broken_yaml_reports_file_and_line(tmp_path):
    path = _write(tmp_path, "slack:\n  announce_channel: [unclosed\nserver:\n  port: 1\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:") and "invalid YAML" in problem


def test_missing_file_and_wrong_top_level(tmp_path):
    assert "cannot read" in _problems(tmp_path / "nope.yaml")[0]
    path = _write(tmp_path, "- just\n- a list\n")
    assert "expected a mapping" in _problems(path)[0]


def test_firebreak_config_env_is_used(tmp_path):
    path = _write(tmp_path, "bot_name: Sentinel\n")
    settings = load_settings(environ={"FIREBREAK_CONFIG": str(path), "SLACK_BOT_TOKEN": "xoxb-1-2"})
    assert settings.config.bot_name == "Sentinel"
    assert settings.secrets.slack_bot_token == "xoxb-1-2"


def test_secrets_never_show_in_repr():
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "s3cr3t"})
    assert "xoxb-very-secret" not in repr(secrets) and "s3cr3t" not in repr(secrets)


def _check_config(*args, env=None):
    return run_bot("check-config", *args, env=env, keep_env=env is None)


@pytest.mark.slow
def test_check_config_command_passes_shipped_and_fails_broken(tmp_path):
    ok = _check_config()
    assert ok.returncode == 0 and "Configuration is valid" in ok.stdout
    broken = _write(tmp_path, "server:\n  threads: 0\n")
    bad = _check_config(str(broken))
    assert bad.returncode == 1
    assert f"{broken}:2: server.threads:" in bad.stderr and "Traceback" not in bad.stderr


def test_a_cross_account_role_needs_an_external_id(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text('containment:\n  accounts:\n    "111122223333": {role_arn: "arn:aws:iam::111122223333:role/R"}\n')
    with pytest.raises(ConfigError, match="external_id"):
        load_settings(str(path))


@pytest.mark.parametrize("external_id", ["ab", "fifteen-chars-x"])
def test_an_external_id_shorter_than_the_member_template_demands_is_refused(tmp_path, external_id):
    """Issue 22, item 20(c): deploy/member-role.yaml demands 16 characters; config took 2."""
    path = tmp_path / "firebreak.yaml"
    path.write_text('containment:\n  accounts:\n    "111122223333": {role_arn: "arn:aws:iam::111122223333:role/R", '
                    f'external_id: "{external_id}"}}\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(str(path))
    message = str(refused.value)
    assert "external_id" in message and f"is {len(external_id)} characters" in message
    assert "deploy/member-role.yaml demands at least 16" in message and "Traceback" not in message


def test_an_external_id_of_sixteen_characters_is_accepted(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text('containment:\n  accounts:\n    "111122223333": {role_arn: "arn:aws:iam::111122223333:role/R", '
                    'external_id: "sixteen-chars-ok"}\n')
    assert load_settings(str(path)).config.containment.accounts["111122223333"].external_id == "sixteen-chars-ok"


def test_remediation_settings_are_checked_with_file_and_line(tmp_path):
    config, _ = load_config()
    assert config.remediation.patch_document == "AWS-RunPatchBaseline" and config.remediation.patch_wait_seconds == 600
    path = _write(tmp_path, """
        remediation:
          patch_wait_seconds: 99999
          patch_reboot: Sometimes
          patch_document: "no spaces allowed"
    """)
    problems = "\n".join(_problems(path))
    assert f"{path}:3: remediation.patch_wait_seconds:" in problems and "3600" in problems
    assert f"{path}:4: remediation.patch_reboot:" in problems and "'NoReboot'" in problems
    assert f"{path}:5: remediation.patch_document:" in problems
