"""core.containment.cards with in-memory fakes: the card each request state gets (plan
lines, Approve/Deny, the undo hint) and the card posted once then edited in place. The
same against the database and the fake Slack: tests/handlers/test_contain.py."""

import dataclasses

import pytest

from core.containment import cards
from core.containment.model import (ALREADY, APPROVED, DENIED, EXECUTING, EXPIRED, FAILED, PLANNED, REQUESTED,
                                    SUCCEEDED, UNDONE, UNKNOWN)
from core.messages import PostedMessage
from tests.support.delivery import IncidentsById, MemoryRequests, open_incident
from tests.support.delivery import contain_request as request
from tests.support.fakes import FakeBoard

ALL_STATES = (REQUESTED, APPROVED, EXECUTING, SUCCEEDED, FAILED, UNKNOWN, DENIED, EXPIRED, PLANNED, UNDONE, ALREADY)
INCIDENT = open_incident(7, channel_id="CINC7")


@pytest.mark.parametrize("state", ALL_STATES)
def test_every_state_gets_a_complete_card(state):
    view = cards.card(request(state), INCIDENT)
    assert view.request.state == state and view.incident_label == "#7"
    assert view.current == ("i-0abc in sg-web",) and view.changes == ("move i-0abc to the isolation group",)
    assert (view.channel, view.message) == ("CINC7", None)
    assert view.decidable == (state == REQUESTED)  # Approve / Deny only while it waits for a decision
    assert view.hypothetical == (state == PLANNED)  # a dry run: "Would change"
    assert view.undoable == (state == SUCCEEDED)  # isolate-instance can be reversed once it succeeded


def test_an_undo_and_an_action_without_undo_offer_no_undo():
    assert not cards.card(request(SUCCEEDED, undo_of=3), INCIDENT).undoable
    assert not cards.card(request(SUCCEEDED, action="snapshot-instance"), INCIDENT).undoable


def test_a_card_already_posted_is_edited_where_it_is():
    view = cards.card(request(APPROVED, message_channel="CINC7", message_ts="5.000001"), INCIDENT)
    assert view.message == PostedMessage("CINC7", "5.000001")


def test_without_an_incident_channel_the_card_goes_where_it_was_asked():
    view = cards.card(request(), dataclasses.replace(INCIDENT, channel_id=None), fallback_channel="CGENERAL")
    assert view.channel == "CGENERAL"


def test_a_plan_without_lines_shows_none():
    view = cards.card(request(plan={}), INCIDENT)
    assert view.current == () and view.changes == ()


def test_the_card_is_posted_once_then_updated_in_place_as_the_request_moves_on():
    board, requests, incidents = FakeBoard(), MemoryRequests(), IncidentsById(INCIDENT)
    first = requests.put(request(REQUESTED))
    cards.publish(board, requests, incidents, first)
    [(how, posted)] = board.cards
    assert how == "post" and posted.channel == "CINC7" and posted.decidable
    stored = requests.get(12)
    assert (stored.message_channel, stored.message_ts) == ("CINC7", "2.000001")

    for state in (APPROVED, EXECUTING, SUCCEEDED):
        requests.put(dataclasses.replace(requests.get(12), state=state))
        cards.publish(board, requests, incidents, first)  # a caller holding an old copy: the stored state shows
    assert [(how, card.request.state) for how, card in board.cards[1:]] == [
        ("update", APPROVED), ("update", EXECUTING), ("update", SUCCEEDED)]
    assert all(card.message == PostedMessage("CINC7", "2.000001") for _, card in board.cards[1:])
    assert board.cards[-1][1].undoable and not board.cards[-1][1].decidable

