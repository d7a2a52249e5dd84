"""/investigate through signed Slack requests: usage once in the ack, the answer in the
channel, the events attached as CSV, the query on the incident's timeline."""

from __future__ import annotations

from datetime import datetime, timezone

from composition import local_workspace
from core.investigation.model import Event
from tests.support.slack import ack_body, all_text

AT = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


class History:
    def lookup(self, question, *, start, end, account, region):
        return [Event(AT, "ConsoleLogin", "signin.amazonaws.com", "mallory", "203.0.113.9", "Mozilla <b>", "", "e1"),
                Event(AT, "CreateUser", "iam.amazonaws.com", "mallory", "203.0.113.9", "aws-cli", "AccessDenied",
                      "e2")], False


def test_a_question_is_answered_in_the_channel_with_the_events_attached(settings):
    ws = local_workspace(settings, threads=2, overrides={"event_history": History()})
    try:
        ws.sender.command("/incident", "declare sev2 Key leak", user=ws.user("alice"), channel=ws.channel("general"))
        ws.settle()
        incident = ws.services.incidents.recent()[0]
        bad = ack_body(ws.sender.command("/investigate", "host web-1", user=ws.user("alice"),
                                         channel=incident.channel_id))
        assert "not something Firebreak can investigate" in all_text(bad)
        seen = len(ws.fake.calls_to("response_url"))
        ws.sender.command("/investigate", "principal mallory --hours 6", user=ws.user("alice"),
                          channel=incident.channel_id)
        ws.settle()
        [answer] = [c.body for c in ws.fake.calls_to("response_url")[seen:]]
        text = all_text(answer)
        assert answer["response_type"] == "in_channel" and "2 CloudTrail event(s)" in text
        assert "ConsoleLogin" in text and "1 access denied" in text and "<b>" not in str(answer)
        [upload] = [f for f in ws.fake.files.values() if f["name"].startswith("investigation-principal")]
        assert b"ConsoleLogin" in upload["content"] and upload["channel"] == incident.channel_id
        assert any(e.kind == "investigation" for e in ws.services.incidents.timeline(incident.id))
    finally:
        ws.stop()
