"""Modals: the declare form (`/incident declare` without text)."""

from __future__ import annotations

import json

from core.services import Services
from handlers import ids
from handlers.acks import form_errors
from handlers.incidents.commands import DeclareFromForm
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, reply_to

TITLE, SEVERITY, CATEGORY, DESCRIPTION, VISIBILITY = "title", "severity", "category", "description", "visibility"


def _options(values: list[str], describe=lambda v: v) -> list[dict]:
    return [{"text": {"type": "plain_text", "text": describe(v)[:75]}, "value": v} for v in values]


def declare_modal(services: Services, origin_channel: str | None, private: bool | None = None) -> dict:
    cfg = services.config.incidents
    private = cfg.private_by_default if private is None else private
    severity_label = {s.name: f"{s.name} — {s.description}" if s.description else s.name for s in cfg.severities}
    severities = _options(cfg.severity_names, lambda v: severity_label[v])
    categories = _options(cfg.categories)
    visibility = _options(["public", "private"], lambda v: {"public": "Public channel",
                                                           "private": "Private channel"}[v])

    def select(block_id, label, options, initial):
        return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
                "element": {"type": "static_select", "action_id": block_id, "options": options,
                            "initial_option": next(o for o in options if o["value"] == initial)}}

    return {
        "type": "modal", "callback_id": ids.VIEW_INCIDENT_DECLARE,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"}, "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"origin_channel": origin_channel}),
        "blocks": [
            {"type": "input", "block_id": TITLE, "label": {"type": "plain_text", "text": "Title"},
             "element": {"type": "plain_text_input", "action_id": TITLE, "max_length": cfg.max_title_length,
                         "placeholder": {"type": "plain_text", "text": "Suspicious console logins"}}},
            select(SEVERITY, "Severity", severities, cfg.default_severity),
            select(CATEGORY, "Category", categories, cfg.default_category),
            {"type": "input", "block_id": DESCRIPTION, "optional": True,
             "label": {"type": "plain_text", "text": "What do we know?"},
             "element": {"type": "plain_text_input", "action_id": DESCRIPTION, "multiline": True,
                         "max_length": 2900}},
            select(VISIBILITY, "Channel", visibility, "private" if private else "public"),
        ],
    }


def open_declare_modal(client, trigger_id: str, services: Services, origin_channel: str | None,
                       private: bool | None = None) -> None:
    client.views_open(trigger_id=trigger_id, view=declare_modal(services, origin_channel, private))


def _values(view: dict) -> dict:
    state = view.get("state", {}).get("values", {})

    def value(block):
        element = state.get(block, {}).get(block, {})
        return element.get("value") if "value" in element else (element.get("selected_option") or {}).get("value")

    return {key: value(key) for key in (TITLE, SEVERITY, CATEGORY, DESCRIPTION, VISIBILITY)}


def declare_submitted(ack, body, view, services: Services, intake: Intake) -> None:
    """The form's fields are checked in the ack (Slack shows each error under its field)."""
    cfg = services.config.incidents
    values = _values(view)
    title = " ".join((values[TITLE] or "").split())
    if not title:
        return form_errors(ack, {TITLE: "An incident needs a title."})
    if len(title) > cfg.max_title_length:
        return form_errors(ack, {TITLE: f"At most {cfg.max_title_length} characters."})
    if values[SEVERITY] not in cfg.severity_names:
        return form_errors(ack, {SEVERITY: "Choose one of the severities."})
    if values[CATEGORY] not in cfg.categories:
        return form_errors(ack, {CATEGORY: "Choose one of the categories."})
    try:
        origin = json.loads(view.get("private_metadata") or "{}").get("origin_channel")
    except (json.JSONDecodeError, AttributeError):
        origin = None
    command = DeclareFromForm(**acting(body), title=values[TITLE], severity=values[SEVERITY],
                              category=values[CATEGORY], description=values[DESCRIPTION] or "",
                              private=values[VISIBILITY] == "private", origin_channel=origin,
                              key=f"slack-view:{view.get('id')}")
    intake.accept(ack, body, command, reply_to(body))
