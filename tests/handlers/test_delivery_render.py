"""The adapters render exactly what core's views say (offers, hints, where) and escape what
came from outside; they decide nothing. Views from tests/support/delivery.py's builders."""

import json

from core.containment import cards
from core.containment.model import PLANNED, REQUESTED, SUCCEEDED, ContainRequest
from core.findings.ports import DigestView, FindingView, IndicatorMatch
from core.messages import PostedMessage
from handlers import ids
from handlers.containment import blocks as contain_blocks
from handlers.containment.board import SlackBoard
from handlers.findings.notifier import SlackTriageSender, render
from tests.support.delivery import contain_request as request
from tests.support.delivery import open_incident, stored_digest, stored_finding
from tests.support.slack import all_text


class RecordingClient:
    """The two Web API methods the adapters call, answering like Slack."""

    def __init__(self):
        self.calls = []

    def chat_postMessage(self, **kwargs):
        self.calls.append(("chat.postMessage", kwargs))
        return {"ok": True, "channel": "C0REAL", "ts": "7.000001"}

    def chat_update(self, **kwargs):
        self.calls.append(("chat.update", kwargs))
        return {"ok": True}


INCIDENT = open_incident(7, channel_id="CINC7")


def finding_view(**changes) -> FindingView:
    values = dict(finding=stored_finding(1, title="<!channel> probe & more"), channel="CTRIAGE", thread_ts=None,
                  message=None, declare=True, link_to=(open_incident(2),), contain=(), triage=True)
    values.update(changes)
    return FindingView(**values)


def actions_of(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_finding_shows_the_offers_of_its_view_and_escapes_its_title():
    text, blocks = render(finding_view())
    assert actions_of(blocks) == [ids.ACTION_FINDING_DECLARE, ids.ACTION_FINDING_LINK, ids.ACTION_FINDING_SNOOZE,
                                  ids.ACTION_FINDING_DISMISS]
    assert "<!channel>" not in json.dumps(blocks) + text and "&lt;!channel&gt; probe &amp; more" in text
    linked = render(finding_view(declare=False, link_to=(), contain=(("isolate-instance", "i-0abc"),)))[1]
    assert actions_of(linked) == [ids.ACTION_CONTAIN_FROM_FINDING, ids.ACTION_FINDING_SNOOZE,
                                  ids.ACTION_FINDING_DISMISS]
    assert actions_of(render(finding_view(declare=False, link_to=(), triage=False))[1]) == []


def test_a_digest_shows_its_counts_and_how_many_more():
    digest = stored_digest(3, size=5)
    view = DigestView(digest=digest, top=(stored_finding(1, severity="high"),), counts={"high": 1, "medium": 4},
                      channel="CTRIAGE", message=None)
    text, blocks = render(view)
    assert "…and 4 more" in all_text({"blocks": blocks}) and text.endswith(": 1 high, 4 medium")


def test_the_sender_posts_new_messages_and_edits_shown_ones_where_core_says():
    client = RecordingClient()
    sender = SlackTriageSender(client, outbox=None)
    assert sender.post(finding_view(thread_ts="9.1")) == PostedMessage("C0REAL", "7.000001")
    sender.update(finding_view(message=PostedMessage("C0OLD", "3.000001")))
    note = IndicatorMatch(1, "CINC1", "f-9", "new", "f-1", [("ip", "198.51.100.7")])
    sender.post(note)
    (post, posted), (edit, edited), (_, noted) = client.calls
    assert (post, posted["channel"], posted["thread_ts"]) == ("chat.postMessage", "CTRIAGE", "9.1")
    assert (edit, edited["channel"], edited["ts"]) == ("chat.update", "C0OLD", "3.000001")
    assert noted["channel"] == "CINC1" and "Also seen in finding" in all_text(noted)


def test_a_card_shows_buttons_and_hints_only_as_its_view_says():
    def rendered(req: ContainRequest) -> str:
        return json.dumps(contain_blocks.card(cards.card(req, INCIDENT))[1])

    assert ids.ACTION_CONTAIN_APPROVE in rendered(request(REQUESTED))
    assert ids.ACTION_CONTAIN_APPROVE not in rendered(request(SUCCEEDED))
    assert "Reverse with" in rendered(request(SUCCEEDED))
    assert "Reverse with" not in rendered(request(SUCCEEDED, undo_of=3))
    assert "Would change" in rendered(request(PLANNED)) and "Would change" not in rendered(request(REQUESTED))
    assert "&lt;script&gt;" in rendered(request(target="<script>"))


def test_the_board_posts_in_the_cards_channel_and_edits_the_posted_card():
    client = RecordingClient()
    board = SlackBoard(client)
    assert board.post(cards.card(request(), INCIDENT)) == PostedMessage("C0REAL", "7.000001")
    board.update(cards.card(request(SUCCEEDED, message_channel="CINC7", message_ts="7.000001"), INCIDENT))
    (post, posted), (edit, edited) = client.calls
    assert (post, posted["channel"]) == ("chat.postMessage", "CINC7")
    assert (edit, edited["channel"], edited["ts"]) == ("chat.update", "CINC7", "7.000001")
