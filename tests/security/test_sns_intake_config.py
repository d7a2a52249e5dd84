"""Issue 10 items 1 and 13: `check-config` names the SNS intake settings that matter, and
topic ARNs are checked for shape (a wildcard cannot sneak "any topic" back in)."""


import pytest

from core.errors import ConfigError
from core.findings.config import IntakeConfig, intake_warnings
from core.settings import load_config
from tests.support.cli import run_bot

TOPIC = "arn:aws:sns:us-east-1:123456789012:findings"


def check_config(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    # a fine setup has an audit key (issue 10 item 8)
    return run_bot("check-config", str(path), env={"FIREBREAK_AUDIT_KEY": "k" * 64}, keep_env=True)


def test_shipped_intake_is_off_and_says_so():
    assert IntakeConfig().sns_topic_arns == [] and IntakeConfig().sns_require_signature_v2 is True
    [warning] = intake_warnings(IntakeConfig())
    assert "findings.intake.sns_topic_arns is empty" in warning and "SNS intake is off" in warning


def test_allowed_topics_with_v2_need_no_warning():
    assert intake_warnings(IntakeConfig(sns_topic_arns=[TOPIC])) == []


def test_accepting_sha1_signatures_is_named():
    [warning] = intake_warnings(IntakeConfig(sns_topic_arns=[TOPIC], sns_require_signature_v2=False))
    assert "findings.intake.sns_require_signature_v2 is false" in warning


@pytest.mark.parametrize("arn", ["*", "arn:aws:sns:*:*:*", "arn:aws:sns:us-east-1:123456789012:*",
                                 "arn:aws:sns:us-east-1:1:short-account", "findings"])
def test_topic_arns_must_be_exact(tmp_path, arn):
    path = tmp_path / "mine.yaml"
    path.write_text(f"findings:\n  intake:\n    sns_topic_arns: [{arn!r}]\n")
    with pytest.raises(ConfigError, match="findings.intake.sns_topic_arns"):
        load_config(path)


@pytest.mark.slow
def test_check_config_warns_about_sns_intake_settings(tmp_path):
    shipped = check_config(tmp_path, "bot_name: Firebreak\n")
    assert shipped.returncode == 0
    assert "warning: findings.intake.sns_topic_arns is empty, so SNS intake is off" in shipped.stdout
    sha1 = check_config(tmp_path, f"findings:\n  intake:\n    sns_topic_arns: [{TOPIC}]\n"
                                  "    sns_require_signature_v2: false\n")
    assert sha1.returncode == 0 and "warning: findings.intake.sns_require_signature_v2 is false" in sha1.stdout
    fine = check_config(tmp_path, f"findings:\n  intake:\n    sns_topic_arns: [{TOPIC}]\n")
    assert fine.returncode == 0 and "warning: findings.intake" not in fine.stdout
