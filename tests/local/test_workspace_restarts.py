"""Issue 23 item 6: the local workspace across restarts. The AWS sandbox comes back as it was
(moto's recorder replays its calls with the same seed: same ids, same object versions), so
evidence collected before a restart still verifies; `bot.py` commands beside a running
workspace find its sandbox by themselves; one workspace per var/, a second one is told."""

from __future__ import annotations

import dataclasses

import pytest

from composition import sandbox
from local.workspace_lock import WorkspaceBusy, WorkspaceLock
from tests.local.test_console_sandbox import no_aws_credentials  # noqa: F401 - fixture
from tests.support.cli import run_bot
from tests.support.containment import click, wait_state
from tests.support.slack import settled


def test_item6_a_second_workspace_on_the_same_var_is_refused_with_who_holds_it(tmp_path):
    first = WorkspaceLock.take(tmp_path)
    try:
        with pytest.raises(WorkspaceBusy, match=r"a local workspace already runs with .* \(pid \d+\)"):
            WorkspaceLock.take(tmp_path)
        second = run_bot("local", "--no-console", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'firebreak.db'}"})
        assert second.returncode == 1 and "a local workspace already runs with" in second.stderr
        assert "DATABASE_URL=sqlite:///other/firebreak.db" in second.stderr
    finally:
        first.release()
    WorkspaceLock.take(tmp_path).release()  # free again once the first is gone


@pytest.mark.slow
def test_item6_evidence_collected_before_a_restart_verifies_after_it_from_the_cli(settings, tmp_path,
                                                                                 no_aws_credentials):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'firebreak.db'}"
    local = dataclasses.replace(settings, secrets=dataclasses.replace(settings.secrets, database_url=url))
    paths = dict(record=tmp_path / "sandbox.json", sandbox_state=tmp_path / "sandbox-calls.jsonl",
                 state_file=tmp_path / "local-slack.json", threads=4)

    ws, local_aws = sandbox.local_workspace(local, **paths)
    try:
        web1 = local_aws.sandbox.inventory.get("instance", "web-1")
        ws.sender.command("/incident", "declare sev2 Miner on web-1", user=ws.user("alice"),
                          channel=ws.channel("general"))
        incident = settled(ws, lambda: next((i for i in ws.services.incidents.recent() if i.summary_ts), None))
        ws.sender.command("/evidence", f"collect-instance-data {web1}", user=ws.user("alice"),
                          channel=incident.channel_id)
        request = settled(ws, lambda: next((r for r in ws.services.repos.containment.for_incident(incident.id)
                                            if r.message_ts), None), timeout=30)
        click(ws, incident, request.id, user="bob")
        assert wait_state(ws, request.id, "succeeded", "failed", timeout=60).state == "succeeded"
    finally:
        ws.stop()
        local_aws.stop()

    ws, again = sandbox.local_workspace(local, **paths)
    try:
        assert again.sandbox.server.restored and again.sandbox.inventory.get("instance", "web-1") == web1
        verified = run_bot("evidence", "verify", str(incident.id), env={"DATABASE_URL": url})
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "MISSING" not in verified.stdout and f"Evidence of incident {incident.id} matches" in verified.stdout
    finally:
        ws.stop()
        again.stop()
