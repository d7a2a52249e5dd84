"""A request's card in chat, decided here: what it shows (the request as stored now, its
plan, whether Approve/Deny or an undo hint apply) and whether to post it or edit the card
already posted. The board (handlers) only renders and sends; where a new card went comes
back from `Board.post` and is stored on the request, so every later change edits it."""

from __future__ import annotations

from core.containment.catalog import SPECS
from core.containment.model import PLANNED, REQUESTED, SUCCEEDED, ContainRequest
from core.containment.ports import Board, CardView, ContainmentRepository
from core.incidents.model import Incident
from core.incidents.ports import IncidentRepository
from core.messages import PostedMessage


def card(request: ContainRequest, incident: Incident, fallback_channel: str | None = None) -> CardView:
    """The card of `request` as it is: everything the board needs to render it."""
    spec = SPECS.get(request.action)
    review = (request.plan.get("facts") or {}).get("review") or {}
    shown_at = request.message_channel or incident.channel_id or fallback_channel
    return CardView(
        request=request, incident_label=incident.label, channel=incident.channel_id or fallback_channel,
        message=PostedMessage(shown_at, request.message_ts) if request.message_ts and shown_at else None,
        current=tuple(request.plan.get("current", [])), changes=tuple(request.plan.get("changes", [])),
        hypothetical=request.state == PLANNED, decidable=request.state == REQUESTED,
        undoable=request.state == SUCCEEDED and not request.is_undo and spec is not None and spec.undoable,
        attachment=(str(review["name"]), str(review["text"])) if review.get("name") and "text" in review else None)


def publish(board: Board, requests: ContainmentRepository, incidents: IncidentRepository, request: ContainRequest,
            fallback_channel: str | None = None) -> None:
    """Show the request as stored now (a caller may hold an older copy): its card posted
    once, in the incident's channel (else `fallback_channel`), then edited in place."""
    request = requests.get(request.id) or request
    view = card(request, incidents.get(request.incident_id), fallback_channel)
    if view.message is not None:
        board.update(view)
        return
    posted = board.post(view)
    if posted is not None:
        requests.set_message(request.id, posted.channel, posted.ts)
