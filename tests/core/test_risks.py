"""check-config names every setting that widens who may do what."""

from __future__ import annotations

from core.risks import risky_settings
from core.settings import load_settings
from tests.support.cli import run_bot


def test_the_shipped_config_names_its_open_doors(tmp_path):
    warnings = "\n".join(risky_settings(load_settings(environ={}).config))
    assert "access.responders is empty" in warnings and "containment.approvers is empty" in warnings
    assert "auto_approve" not in warnings


def test_a_locked_down_config_has_nothing_to_name_but_a_risk_it_turns_on(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text("slack:\n  team_id: T0ACME123\n"
                    "access:\n  responders: [S0SECURITY]\n"
                    "containment:\n  approvers: {default: [S0LEADS]}\n  auto_approve: [snapshot-instance]\n"
                    "findings:\n  intake:\n    sns_topic_arns: ['arn:aws:sns:us-east-1:123456789012:findings']\n")
    warnings = risky_settings(load_settings(str(path), environ={}).config)
    assert warnings == ["containment.auto_approve runs snapshot-instance without a second person's approval."]


def test_check_config_prints_them(tmp_path):
    done = run_bot("check-config")
    assert done.returncode == 0, done.stderr
    assert "warning: access.responders is empty" in done.stdout


def test_check_config_warns_when_any_workspace_may_use_the_bot(tmp_path):
    """Issue 22, item 20(c): slack.team_id: null (the shipped default) lets every workspace the
    app is installed in through; check-config says so, and says nothing once it is set."""
    done = run_bot("check-config")
    assert done.returncode == 0, done.stderr
    assert "warning: slack.team_id is not set: requests signed for this app are accepted from every workspace" \
        in done.stdout
    path = tmp_path / "firebreak.yaml"
    path.write_text("slack:\n  team_id: T0ACME123\n")
    assert not [w for w in risky_settings(load_settings(str(path), environ={}).config) if "team_id" in w]
