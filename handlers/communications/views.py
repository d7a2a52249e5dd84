"""The `/incident notify` form: the templated update pre-filled from the incident, edited,
then sent to the audience when submitted."""

from __future__ import annotations

import json

from core.communications.ports import StakeholderMessage
from handlers import ids
from handlers.acks import form_errors
from handlers.communications.blocks import notify_fields
from handlers.communications.commands import SendNotice
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, reply_to

FIELD_LIMIT = 2000


def notify_modal(message: StakeholderMessage) -> dict:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": (
        f"To *{message.audience}*" + (" — a private incident: its title and details are withheld from this audience"
                                       if message.channel_id is None and message.headline.startswith("Private")
                                       else ""))}}]
    for key, label, value, multiline in notify_fields(message):
        element = {"type": "plain_text_input", "action_id": key, "multiline": multiline, "max_length": FIELD_LIMIT}
        if value:
            element["initial_value"] = value[:FIELD_LIMIT]
        blocks.append({"type": "input", "block_id": key, "optional": key != "what_happened", "element": element,
                       "label": {"type": "plain_text", "text": label}})
    return {"type": "modal", "callback_id": ids.VIEW_COMMS_NOTIFY,
            "private_metadata": json.dumps({"incident": message.incident_id, "audience": message.audience}),
            "title": {"type": "plain_text", "text": f"Notify {message.audience}"[:24]},
            "submit": {"type": "plain_text", "text": "Send"}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks}


def _values(view: dict) -> dict:
    values = view.get("state", {}).get("values", {})
    return {key: (values.get(key, {}).get(key) or {}).get("value") or ""
            for key in ("text", "what_happened", "impact", "phase", "next_update")}


def _meta(view: dict) -> dict:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return meta if isinstance(meta, dict) else {}
    except json.JSONDecodeError:
        return {}


def notify_submitted(ack, body, view, intake: Intake) -> None:
    """The edited update: "What happened" is required (Slack shows the error under it)."""
    values = _values(view)
    if not values["what_happened"].strip():
        return form_errors(ack, {"what_happened": "Say what happened."})
    meta = _meta(view)
    text = values.pop("text")
    command = SendNotice(**acting(body), incident=str(meta.get("incident", "")), audience=str(meta.get("audience", "")),
                         text=text, fields=values, key=f"manual:{view.get('id') or body.get('trigger_id')}")
    intake.accept(ack, body, command, reply_to(body))
