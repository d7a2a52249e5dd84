"""The postmortem form and what happens when it is submitted: answers saved, the document
generated and uploaded to the incident channel."""

from __future__ import annotations

import json

from core.incidents import postmortem
from handlers import ids
from handlers.acks import form_errors
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, reply_to
from handlers.postmortems.commands import SavePostmortem

MULTILINE = {"summary", "impact", "root_cause", "went_well", "could_be_better", "lessons"}
REQUIRED = {"summary"}


def postmortem_modal(incident) -> dict:
    answers = incident.postmortem or {}
    blocks = []
    for key, label in postmortem.QUESTIONS:
        element = {"type": "plain_text_input", "action_id": key, "multiline": key in MULTILINE,
                   "max_length": postmortem.ANSWER_LIMIT}
        if answers.get(key):
            element["initial_value"] = answers[key]
        blocks.append({"type": "input", "block_id": key, "optional": key not in REQUIRED, "element": element,
                       "label": {"type": "plain_text", "text": label}})
    return {"type": "modal", "callback_id": ids.VIEW_POSTMORTEM, "private_metadata": json.dumps({"incident": incident.id}),
            "title": {"type": "plain_text", "text": f"Postmortem #{incident.id}"[:24]},
            "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks}


def _answers(view: dict) -> dict:
    values = view.get("state", {}).get("values", {})
    return {key: (values.get(key, {}).get(key) or {}).get("value") or "" for key, _ in postmortem.QUESTIONS}


def _incident_ref(view: dict) -> str:
    try:
        return str(json.loads(view.get("private_metadata") or "{}").get("incident", ""))
    except (json.JSONDecodeError, AttributeError):
        return ""


def postmortem_submitted(ack, body, view, intake: Intake) -> None:
    answers = _answers(view)
    if not answers["summary"].strip():
        return form_errors(ack, {"summary": "Write at least a summary."})
    command = SavePostmortem(**acting(body), incident=_incident_ref(view), answers=answers)
    intake.accept(ack, body, command, reply_to(body))
