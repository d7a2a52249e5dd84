"""Issue 23 item 3 and issue 22 item 13 through signed Slack requests: a triage message is
the same for everyone in its channel, so its Add to incident menu names public incidents
only; "Private incident…" opens a form listing the private incidents the person who chose it
may see, and the link is checked again when the choice arrives (a forged value, or a form
kept open after losing access, adds nothing and confirms nothing)."""

import json

import pytest

from composition import local_workspace
from core.incidents import service as incidents
from handlers import ids
from store.findings.repository import SqlFindingRepository
from tests.handlers.test_triage import WriteBackRecorder, click, show
from tests.support.findings import finding, tuned
from tests.support.slack import all_text


@pytest.fixture
def ws(settings):
    workspace = local_workspace(tuned(settings), threads=4, overrides={"writeback": WriteBackRecorder()})
    yield workspace
    workspace.stop()


@pytest.fixture
def two_incidents(ws):
    """A public incident, and a private one that alice declared (bob is not in it)."""
    alice = ws.user("alice")
    public = incidents.declare(ws.services, title="Ongoing scan", declared_by=alice).incident
    private = incidents.declare(ws.services, title="Payroll export leaked", declared_by=alice, private=True).incident
    return public, private


def menu(msg):
    return next(e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == ids.ACTION_FINDING_LINK)


def answer_to(ws, before):
    found = ws.fake.wait_for("response_url", count=before + 1)
    return all_text(found[-1].body)


def test_the_menu_names_public_incidents_only_and_offers_private_ones_through_a_form(ws, two_incidents):
    public, private = two_incidents
    stored, msg = show(ws, finding())
    options = menu(msg)["options"]
    assert [o["value"] for o in options] == [f"{stored.pk}:{public.id}", f"{stored.pk}:private"]
    assert "Payroll" not in json.dumps(msg) and f"#{private.id}" not in json.dumps(msg)

    forms = len(ws.fake.calls_to("views.open"))
    click(ws, stored, ids.ACTION_FINDING_LINK, user="alice", selected=f"{stored.pk}:private")
    form = ws.fake.wait_for("views.open", count=forms + 1)[-1].body["view"]
    listed = [o["value"] for b in form["blocks"] if b["type"] == "input" for o in b["element"]["options"]]
    assert form["callback_id"] == ids.VIEW_FINDING_LINK_PRIVATE and listed == [str(private.id)]
    ws.sender.view_submission(user=ws.user("alice"), callback_id=ids.VIEW_FINDING_LINK_PRIVATE,
                              private_metadata=str(stored.pk),
                              values={"incident": {"incident": {"type": "static_select",
                                                                "selected_option": {"value": str(private.id)}}}})
    ws.fake.wait_for("chat.update", lambda c: "Part of incident" in all_text(c.body))
    assert SqlFindingRepository(ws.services.db).get(stored.pk).incident_id == private.id


def test_someone_who_cannot_see_the_private_incident_is_offered_none_and_cannot_link_to_it(ws, two_incidents):
    _, private = two_incidents
    stored, _ = show(ws, finding())
    seen, forms = len(ws.fake.calls_to("response_url")), len(ws.fake.calls_to("views.open"))
    click(ws, stored, ids.ACTION_FINDING_LINK, user="bob", selected=f"{stored.pk}:private")
    assert "No open private incident is shared with you" in answer_to(ws, seen)
    assert len(ws.fake.calls_to("views.open")) == forms

    seen = len(ws.fake.calls_to("response_url"))
    click(ws, stored, ids.ACTION_FINDING_LINK, user="bob", selected=f"{stored.pk}:{private.id}")  # hand-made value
    refused = answer_to(ws, seen)
    assert f"There is no incident #{private.id}" in refused and "Payroll" not in refused
    ws.sender.view_submission(user=ws.user("bob"), callback_id=ids.VIEW_FINDING_LINK_PRIVATE,  # a forged form
                              private_metadata=str(stored.pk),
                              values={"incident": {"incident": {"selected_option": {"value": str(private.id)}}}})
    [dm] = ws.fake.wait_for("chat.postMessage", lambda c: "There is no incident" in all_text(c.body))
    assert dm.body["channel"] == ws.user("bob") and "Payroll" not in all_text(dm.body)
    assert SqlFindingRepository(ws.services.db).get(stored.pk).incident_id is None
    assert [e.kind for e in ws.services.incidents.timeline(private.id)].count("finding") == 0
