"""The bot against a fake Slack that refuses what Slack refuses (issue 20): with a scope
missing from the app, Slack answers missing_scope and people see it (ids instead of names,
a private incident its own channel's members cannot open); with the shipped manifest a
whole incident runs without a single refusal. Driven through signed Slack requests."""

from __future__ import annotations

import subprocess
import sys

from composition import local_workspace
from local.slack_scopes import manifest_scopes
from tests.conftest import REPO
from tests.handlers.test_incident_lifecycle import declare, run
from tests.handlers.test_incident_review import POSTMORTEM, _submit_postmortem
from tests.support.slack import ack_body, all_text, settled
from tests.support.slack_calls import methods_called

PRIVATE_TITLE = "HR data on a laptop"


def without(scope: str) -> tuple[str, ...]:
    granted = manifest_scopes()
    assert scope in granted, f"the shipped manifest does not grant {scope}"
    return tuple(s for s in granted if s != scope)


def missing_scope(needed: str, granted: tuple[str, ...]) -> dict:
    """Slack's answer to a call whose scope the token lacks."""
    return {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(granted)}


def postmortem_document(ws, incident) -> str:
    """Submit the postmortem form and return the document the bot uploaded to the channel."""
    assert _submit_postmortem(ws, incident, POSTMORTEM).status == 200
    [upload] = ws.fake.wait_for("files.completeUploadExternal")
    [file_id] = [f["id"] for f in upload.body["files"]]
    assert ws.fake.file(file_id)["channel"] == incident.channel_id
    return ws.fake.file(file_id)["content"].decode()


def answers_to(ws, text: str, user: str) -> str:
    """Run /incident in #general as `user`; every answer they saw, as text."""
    seen = len(ws.fake.calls_to("response_url"))
    ack = ack_body(ws.sender.command("/incident", text, user=ws.user(user), channel=ws.channel("general")))
    ws.settle()
    return "\n".join(all_text(a) for a in [ack, *(c.body for c in ws.fake.calls_to("response_url")[seen:])] if a)


def test_without_users_read_the_postmortem_names_people_by_id_as_slack_refused_users_info(settings):
    granted = without("users:read")
    ws = local_workspace(settings, threads=2, scopes=granted)
    try:
        incident = declare(ws)
        document = postmortem_document(ws, incident)
        alice = ws.user("alice")
        assert f"@{alice}" in document and "@alice" not in document
        answers = [c.answer for c in ws.fake.calls_to("users.info")]
        assert answers and all(a == missing_scope("users:read", granted) for a in answers)
    finally:
        ws.stop()


def test_without_groups_read_a_member_of_a_private_incidents_channel_cannot_open_it(settings):
    granted = without("groups:read")
    ws = local_workspace(settings, threads=2, scopes=granted)
    try:
        private = declare(ws, text=f"declare private sev2 {PRIVATE_TITLE}")
        ws.fake.channels[private.channel_id].members.add(ws.user("carol"))  # a person invited her in Slack
        seen = answers_to(ws, f"status {private.id}", "carol")
        assert PRIVATE_TITLE not in seen
        assert "Slack refused conversations.members (missing_scope)" in seen
        [call] = ws.fake.calls_to("conversations.members")
        assert call.body["channel"] == private.channel_id and call.answer == missing_scope("groups:read", granted)
    finally:
        ws.stop()


def test_a_whole_incident_runs_on_the_shipped_manifest_without_a_missing_scope(workspace):
    ws, fake = workspace, workspace.fake
    alice, bob, carol = ws.user("alice"), ws.user("bob"), ws.user("carol")

    public = declare(ws)
    run(ws, f"role scribe <@{bob}|bob>", incident=public)
    run(ws, "note The key was committed to a public repo", incident=public)
    message = fake.add_user_message(public.channel_id, bob, "Attacker IP is 203.0.113.9")
    fake.react(public.channel_id, message["ts"], "pushpin", carol)
    ws.sender.event({"type": "reaction_added", "user": carol, "reaction": "pushpin",
                     "item": {"type": "message", "channel": public.channel_id, "ts": message["ts"]}})
    settled(ws, lambda: any(e.kind == "pin" and e.text == "Attacker IP is 203.0.113.9"
                            for e in ws.services.incidents.timeline(public.id)))

    private = declare(ws, text=f"declare private sev2 {PRIVATE_TITLE}")
    fake.channels[private.channel_id].members.add(carol)  # a person invited her in Slack
    assert PRIVATE_TITLE in answers_to(ws, f"status {private.id}", "carol")

    run(ws, "postmortem", incident=public)
    fake.wait_for("views.open")
    document = postmortem_document(ws, public)
    assert "@alice" in document and "@bob" in document
    assert alice not in document and bob not in document

    exported = subprocess.run(
        [sys.executable, str(REPO / "bot.py"), "export", str(public.id), "--format", "md"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": ws.settings.secrets.database_url,
             "SLACK_BOT_TOKEN": fake.token, "SLACK_API_URL": fake.api_url})
    assert exported.returncode == 0, exported.stderr
    assert "@bob" in exported.stdout and bob not in exported.stdout

    ws.settle()
    assert fake.refusals() == [], [(c.method, c.answer) for c in fake.refusals()]
    called = {c.method for c in fake.calls} - {"response_url", "file_upload"}
    assert {"conversations.create", "conversations.invite", "conversations.members", "conversations.history",
            "pins.add", "users.info", "views.open", "files.completeUploadExternal"} <= called
    unseen = called - set(methods_called(REPO))
    assert not unseen, f"the bot called {sorted(unseen)}, which the static scan of the code does not find"
