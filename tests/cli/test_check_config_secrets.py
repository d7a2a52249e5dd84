"""Issue 23 item 17: every secret the configuration can name is listed, passed by compose
from one env file, and `check-config` says which the environment lacks (names only)."""

from __future__ import annotations

import re

import yaml

from core.secrets_needed import FIXED
from tests.conftest import REPO
from tests.support.cli import run_bot

CONFIG = """
communications:
  audiences:
    security:
      slack_channels: [C0SECURITY]
      pager: {type: pagerduty, routing_key_env: FIREBREAK_PD_SECURITY}
    it-ops:
      slack_channels: [C0ITOPS]
      pager: {type: webhook, url: "https://paging.example.com/hooks/firebreak", auth_header_env: FIREBREAK_ITOPS_AUTH}
"""


def test_item17_check_config_names_the_missing_secrets_including_the_pagers_the_config_names(tmp_path):
    path = tmp_path / "firebreak.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    done = run_bot("check-config", str(path), env={"SLACK_BOT_TOKEN": "xoxb-not-shown-1234",
                                                   "FIREBREAK_PD_SECURITY": "R0UTINGKEYNOTSHOWN"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    [set_line] = [line for line in out.splitlines() if line.startswith("Secrets (")]
    assert "SLACK_BOT_TOKEN" in set_line and "FIREBREAK_PD_SECURITY" in set_line
    missing = re.findall(r"^missing: (\S+)", out, re.M)
    assert missing == ["SLACK_SIGNING_SECRET", "DATABASE_URL", "FIREBREAK_AUDIT_KEY", "FIREBREAK_ITOPS_AUTH"]
    assert "missing: FIREBREAK_ITOPS_AUTH — Authorization header of audience it-ops's webhook pager" in out
    assert re.findall(r"^not set \(optional\): (\S+)", out, re.M) == ["SLACK_APP_TOKEN", "FIREBREAK_INTAKE_SECRET"]
    assert "xoxb-not-shown" not in out + done.stderr and "R0UTINGKEYNOTSHOWN" not in out + done.stderr


def test_item17_compose_passes_every_secret_from_one_env_file_and_deploy_readme_lists_them_all():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    app = [name for name in compose["services"] if name != "db"]
    assert app and all(compose["services"][name].get("env_file") == ".env" for name in app), \
        "a variable the config names (a pager key) reaches every process without editing compose.yaml"
    guide = (REPO / "deploy" / "README.md").read_text(encoding="utf-8")
    for secret in FIXED:
        assert f"`{secret.name}`" in guide or f"`{secret.name}` (" in guide, secret.name
    assert "routing_key_env" in guide and "auth_header_env" in guide
    example = guide[guide.index("cat > .env"):guide.index("docker compose up -d --build")]
    assert "FIREBREAK_AUDIT_KEY=" in example and "check-config" in example
