"""core.containment.ports.Board over Slack: a request's card is posted once, then edited in
place as the request moves on (always rendered from its latest stored state)."""

from __future__ import annotations

from slack_sdk import WebClient

from core.containment.model import ContainRequest
from core.containment.ports import ContainmentRepository
from core.incidents.ports import IncidentRepository
from handlers.containment import blocks


class SlackBoard:
    def __init__(self, client: WebClient, requests: ContainmentRepository, incidents: IncidentRepository):
        self.client, self.requests, self.incidents = client, requests, incidents

    def publish(self, request: ContainRequest, fallback_channel: str | None = None) -> None:
        request = self.requests.get(request.id) or request
        incident = self.incidents.get(request.incident_id)
        text, shown = blocks.card(request, incident)
        if request.message_ts:
            self.client.chat_update(channel=request.message_channel, ts=request.message_ts, text=text, blocks=shown)
            return
        posted = self.client.chat_postMessage(channel=incident.channel_id or fallback_channel, text=text,
                                              blocks=shown)
        self.requests.set_message(request.id, posted["channel"], posted["ts"])
