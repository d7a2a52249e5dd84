"""Triage messages over signed HTTP against the fake Slack: what people see, what their
clicks change, and that the message is edited in place with who did what."""

import json

import pytest

from aws.errors import AwsActionError, AwsFailure
from core.incidents import service as incidents
from core.findings.pipeline import ingest
from handlers import ids
from composition import local_workspace
from store.findings.repository import SqlFindingRepository
from tests.support.findings import finding, tuned
from tests.support.slack import all_text


class WriteBackRecorder:
    def __init__(self, fail: Exception | None = None):
        self.calls, self.fail = [], fail

    def dismiss(self, f, reason, user):
        if self.fail:
            raise self.fail
        self.calls.append((f.finding_id, reason, user))
        return "Security Hub workflow set to SUPPRESSED"

    def snooze(self, f, until, user, reason):
        if self.fail:
            raise self.fail
        self.calls.append((f.finding_id, "snooze", reason, user))
        return "Security Hub CSPM note added (workflow unchanged)"


def _workspace(settings, **tuning):
    return local_workspace(tuned(settings, **tuning), threads=4, overrides={"writeback": WriteBackRecorder()})


@pytest.fixture
def ws(settings):
    workspace = _workspace(settings)
    yield workspace
    workspace.stop()


def show(ws, *findings):
    """Ingest and wait until Slack shows it; the finding's current message."""
    ingest(ws.services, list(findings))
    assert ws.services.notifier.drain(10)
    stored = SqlFindingRepository(ws.services.db).by_finding_id(findings[-1].id)
    return stored, message(ws, stored)


def message(ws, stored, channel="security-triage"):
    return next(m for m in ws.fake.messages(channel) if m["ts"] == stored.slack_ts)


def click(ws, stored, action_id, *, user="alice", value=None, selected=None):
    msg = message(ws, stored)
    reply = ws.sender.block_action(user=ws.user(user), channel=stored.slack_channel, action_id=action_id,
                                   value=value if value is not None else str(stored.pk), message=msg,
                                   selected={"value": selected} if selected else None)
    assert reply.status == 200


def edited(ws, text, timeout=5.0):
    """Wait for the message edit that says `text`."""
    return ws.fake.wait_for("chat.update", lambda c: text in all_text(c.body), timeout=timeout)[-1].body


def test_posted_with_buttons_and_attacker_text_is_inert(ws):
    hostile = "<!channel> <@U999> <https://evil.example|click> & co"
    stored, msg = show(ws, finding(title=hostile, type="<!here>", resources=[{"type": "X", "id": "<!everyone>"}]))
    raw = json.dumps(msg)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<!everyone>" not in raw and "<@U999>" not in raw
    assert "&lt;!channel&gt;" in all_text(msg) and "&amp; co" in all_text(msg)
    action_ids = {e["action_id"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert action_ids == {ids.ACTION_FINDING_DECLARE, ids.ACTION_FINDING_SNOOZE, ids.ACTION_FINDING_DISMISS}
    assert stored.title == hostile  # stored verbatim


def test_update_edits_the_message_instead_of_posting_again(ws):
    stored, _ = show(ws, finding(count=1))
    show(ws, finding(count=5, updated_at="2026-01-05T00:00:00.000Z"))
    assert "seen 5×" in all_text(edited(ws, "seen 5×"))
    assert len(ws.fake.calls_to("chat.postMessage")) == 1


def test_declare_button_declares_once_links_and_edits_in_place(ws):
    stored, _ = show(ws, finding(severity="high"))
    click(ws, stored, ids.ACTION_FINDING_DECLARE)
    body = edited(ws, "Part of incident")
    [incident] = ws.services.incidents.recent()
    assert incident.severity == "sev2" and incident.title == stored.title
    assert f"<@{ws.user('alice')}>" in all_text(body) and f"Declared incident #{incident.id}" in all_text(body)
    assert ids.ACTION_FINDING_DECLARE not in json.dumps(body["blocks"])
    assert any(e.kind == "finding" for e in ws.services.incidents.timeline(incident.id))
    click(ws, stored, ids.ACTION_FINDING_DECLARE, user="bob")  # someone clicks the stale button
    refusal = ws.fake.wait_for("response_url", lambda c: "already part of incident" in all_text(c.body))
    assert refusal[0].body["response_type"] == "ephemeral"
    assert ws.services.incidents.count() == 1


def test_add_to_an_open_incident_and_never_to_a_closed_one(ws):
    alice = ws.user("alice")
    open_incident = incidents.declare(ws.services, title="Ongoing", declared_by=alice).incident
    closed = incidents.declare(ws.services, title="Old", declared_by=alice).incident
    ws.services.incidents.set_fields(closed.id, phase="closed")
    stored, msg = show(ws, finding())
    options = [o["value"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == ids.ACTION_FINDING_LINK for o in e["options"]]
    assert options == [f"{stored.pk}:{open_incident.id}"]
    click(ws, stored, ids.ACTION_FINDING_LINK, selected=f"{stored.pk}:{closed.id}")
    ws.fake.wait_for("response_url", lambda c: "is closed" in all_text(c.body))
    click(ws, stored, ids.ACTION_FINDING_LINK, selected=f"{stored.pk}:{open_incident.id}")
    assert f"Added to incident #{open_incident.id}" in all_text(edited(ws, "Part of incident"))
    assert [e.kind for e in ws.services.incidents.timeline(open_incident.id)][-1] == "finding"


def test_snooze_is_stored_with_expiry_and_shown(ws):
    stored, _ = show(ws, finding())
    click(ws, stored, ids.ACTION_FINDING_SNOOZE, selected=f"{stored.pk}:type:7d")
    body = edited(ws, "Snoozed this type on this resource for 7 d")
    assert f"<@{ws.user('alice')}>" in all_text(body)
    assert SqlFindingRepository(ws.services.db).get(stored.pk).status == "snoozed"


def test_dismiss_asks_for_a_reason_then_writes_back(ws):
    stored, _ = show(ws, finding())
    click(ws, stored, ids.ACTION_FINDING_DISMISS)
    view = ws.fake.wait_for("views.open")[0].body["view"]
    assert view["callback_id"] == ids.VIEW_FINDING_DISMISS and view["private_metadata"] == str(stored.pk)
    empty = ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_DISMISS,
                                      private_metadata=view["private_metadata"],
                                      values={"reason": {"reason": {"type": "plain_text_input", "value": "  "}}})
    assert empty.json()["response_action"] == "errors" and "reason" in empty.json()["errors"]
    assert ws.services.writeback.calls == []
    ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_DISMISS,
                              private_metadata=view["private_metadata"],
                              values={"reason": {"reason": {"type": "plain_text_input", "value": "pen test <!here>"}}})
    body = edited(ws, "Dismissed as a false positive")
    assert ws.services.writeback.calls == [("f-1", "pen test <!here>", ws.user("alice"))]
    assert "&lt;!here&gt;" in all_text(body) and "<!here>" not in json.dumps(body)
    assert not [b for b in body["blocks"] if b["type"] == "actions"]


def test_refused_write_back_changes_nothing_and_tells_the_user(ws):
    ws.services.writeback.fail = AwsActionError(AwsFailure(
        "AccessDeniedException", "AWS refused securityhub:BatchUpdateFindings (AccessDeniedException): no"))
    stored, _ = show(ws, finding())
    ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_DISMISS,
                              private_metadata=str(stored.pk),
                              values={"reason": {"reason": {"type": "plain_text_input", "value": "noise"}}})
    told = ws.fake.wait_for("chat.postMessage", lambda c: "AccessDeniedException" in all_text(c.body))
    assert told[0].body["channel"] == ws.user("alice")
    assert SqlFindingRepository(ws.services.db).get(stored.pk).status == "open"


def test_people_outside_the_responder_list_cannot_triage(settings):
    ws = _workspace(settings, responders=["U0NOBODY"])
    try:
        stored, _ = show(ws, finding())
        click(ws, stored, ids.ACTION_FINDING_DECLARE)
        ws.fake.wait_for("response_url", lambda c: "responder list" in all_text(c.body))
        click(ws, stored, ids.ACTION_FINDING_DISMISS)
        ws.fake.wait_for("response_url", lambda c: "responder list" in all_text(c.body), count=2)
        assert ws.services.incidents.count() == 0 and not ws.fake.calls_to("views.open")
    finally:
        ws.stop()


def test_digest_lists_every_finding_and_opens_one_in_its_thread(settings):
    ws = _workspace(settings, after=1)
    try:
        ingest(ws.services, [finding(id=f"d{i:02}", title=f"storm {i}") for i in range(31)])
        assert ws.services.notifier.drain(10)
        digest_msg = next(m for m in ws.fake.messages("security-triage") if "30 more findings" in all_text(m))
        assert "and 20 more" in all_text(digest_msg)
        channel = ws.channel("security-triage")
        page_button = {"ts": digest_msg["ts"]}
        ws.sender.block_action(user=ws.user("bob"), channel=channel, action_id=ids.ACTION_DIGEST_PAGE,
                               value=digest_msg["blocks"][-1]["elements"][0]["value"], message=page_button)
        first = ws.fake.wait_for("response_url", lambda c: "page 1 of 2" in all_text(c.body))[0].body
        ws.sender.block_action(user=ws.user("bob"), channel=channel, action_id=ids.ACTION_DIGEST_PAGE,
                               value=first["blocks"][-1]["elements"][-1]["value"], message=page_button)
        second = ws.fake.wait_for("response_url", lambda c: "page 2 of 2" in all_text(c.body))[0].body
        listed = all_text(first) + all_text(second)
        assert all(f"d{i:02}" in listed for i in range(1, 31))
        option = first["blocks"][-1]["elements"][0]["options"][0]["value"]
        ws.sender.block_action(user=ws.user("bob"), channel=channel, action_id=ids.ACTION_FINDING_OPEN,
                               selected={"value": option}, message=page_button)
        threaded = ws.fake.wait_for("chat.postMessage", lambda c: c.body.get("thread_ts") == digest_msg["ts"])
        assert ids.ACTION_FINDING_DECLARE in json.dumps(threaded[0].body["blocks"])
    finally:
        ws.stop()


def test_a_critical_finding_after_a_storm_gets_its_own_message_and_the_digest_counts_severities(settings):
    ws = _workspace(settings, after=1)
    try:
        storm = [finding(id=f"m{i}", title=f"probe {i}") for i in range(3)] + [finding(id="l1", severity="low")]
        critical = finding(id="crit", severity="critical", severity_score=95.0, title="Root credentials used")
        ingest(ws.services, storm + [critical])
        assert ws.services.notifier.drain(10)
        stored = SqlFindingRepository(ws.services.db).by_finding_id("crit")
        own = message(ws, stored)  # its own triage message, with its buttons
        assert "Root credentials used" in all_text(own) and ids.ACTION_FINDING_DECLARE in json.dumps(own["blocks"])
        digest_msg = next(m for m in ws.fake.messages("security-triage") if "3 more findings" in all_text(m))
        assert "Root credentials used" not in all_text(digest_msg)
        assert "In this digest:" in all_text(digest_msg) and "2 medium" in all_text(digest_msg)
        assert "1 low" in all_text(digest_msg) and "critical" not in all_text(digest_msg)
        assert digest_msg["text"].endswith(": 2 medium, 1 low")
    finally:
        ws.stop()


def test_shared_indicator_is_announced_in_the_incident_channel(ws):
    stored, _ = show(ws, finding(id="linked"))
    click(ws, stored, ids.ACTION_FINDING_DECLARE)
    edited(ws, "Part of incident")
    [incident] = ws.services.incidents.recent()
    target = incident.channel_id or incident.origin_channel
    show(ws, finding(id="newcomer", resources=[], type="UnauthorizedAccess:EC2/SSHBruteForce"))
    note = ws.fake.wait_for("chat.postMessage", lambda c: "Also seen in finding" in all_text(c.body))[0].body
    assert note["channel"] == target and "newcomer" in all_text(note) and "198.51.100.7" in all_text(note)


def test_an_empty_reason_ends_the_request_and_the_form_says_what_will_happen(ws):
    """Issue 11 items 10 and 12: a refused form runs nothing after it (no error in the log, no
    message), and the form promises a write-back only where AWS has a finding to update."""
    cloudtrail = finding(id="ct-1", source="cloudtrail", raw_format="cloudtrail-event", product="cloudtrail")
    stored, _ = show(ws, cloudtrail)
    click(ws, stored, ids.ACTION_FINDING_DISMISS)
    view = ws.fake.wait_for("views.open")[0].body["view"]
    assert "Recorded in Firebreak only" in all_text(view) and "written back" not in all_text(view)
    calls = len(ws.fake.calls)
    empty = ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_DISMISS,
                                      private_metadata=view["private_metadata"],
                                      values={"reason": {"reason": {"type": "plain_text_input", "value": " "}}})
    assert empty.json()["response_action"] == "errors"
    assert ws.settle()
    assert len(ws.fake.calls) == calls, "nothing ran after the refused form"
    assert ws.services.writeback.calls == []
    stored, _ = show(ws, finding(id="gd-2"))
    click(ws, stored, ids.ACTION_FINDING_DISMISS)
    view = ws.fake.wait_for("views.open", count=2)[-1].body["view"]
    assert "written back to GuardDuty" in all_text(view)


def test_declared_from_a_finding_the_channel_gets_the_finding_and_lists_it(ws):
    """Issue 11 item 13: the new incident channel shows the finding's details with a console
    link, and /incident findings lists every linked finding."""
    hostile = finding(title="Miner on i-0abc <!channel>", indicators={"ip": ["198.51.100.7"], "instance_id": ["i-0abc"],
                                                                       "domain": [], "access_key_id": [],
                                                                       "principal": ["arn:aws:iam::1:user/x"]})
    stored, _ = show(ws, hostile)
    click(ws, stored, ids.ACTION_FINDING_DECLARE)
    assert ws.settle()
    incident = ws.services.incidents.recent()[0]
    shown = [m for m in ws.fake.messages(incident.channel_id) if "Open in the AWS console" in json.dumps(m)]
    assert len(shown) == 1
    text = all_text(shown[0])
    assert "198.51.100.7" in text and "arn:aws:iam::1:user/x" in text and "123456789012" in text
    assert "us-east-1.console.aws.amazon.com/guardduty" in text and "<!channel>" not in json.dumps(shown[0])
    seen = len(ws.fake.calls_to("response_url"))
    ws.sender.command("/incident", "findings", user=ws.user("alice"), channel=incident.channel_id)
    assert ws.settle()
    [listing] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
    assert "Findings of incident" in all_text(listing) and "Recon:EC2/PortProbeUnprotectedPort" in all_text(listing)
