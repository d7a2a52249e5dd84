"""Block Kit for playbook checklists and action items."""

from __future__ import annotations

from core.model import ActionItem, Incident
from core.playbooks.runtime import Checklist
from handlers import ids
from handlers.blocks import MAX_BLOCKS, context, escape, section, truncate

KIND_LABEL = {"check": ":white_square_button:", "ask": ":grey_question:", "contain": ":shield:",
              "notify": ":mega:"}


def checklist(incident: Incident, view: Checklist) -> tuple[str, list[dict]]:
    """One section per step: done ones say who did them, open ones carry a Done button."""
    blocks = [section(f"*Playbook {escape(view.playbook)} — {escape(view.phase)}* "
                      f"(incident {incident.label}, {view.done}/{view.total} steps done overall)")]
    for step in view.steps:
        if len(blocks) >= MAX_BLOCKS - 3:
            blocks.append(context("More steps than one message can show: `/incident playbook` lists them."))
            break
        text = f"{KIND_LABEL.get(step.kind, '•')} {escape(step.text)}"
        if step.command:
            text += f"\n`{escape(step.command)}`"
        if step.done_by:
            blocks.append(section(truncate(f":white_check_mark: ~{escape(step.text)}~ — <@{step.done_by}>", 2900)
                                  if step.done_by.isalnum() else f":white_check_mark: ~{escape(step.text)}~"))
            continue
        value = f"{incident.id}:{step.key}"
        done = {"type": "button", "action_id": ids.ACTION_PLAYBOOK_STEP, "value": value,
                "text": {"type": "plain_text", "text": "Done"}}
        if step.command and "<" not in step.command:  # a real target: offer to request it
            blocks.append(section(truncate(text, 2900)))
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "action_id": ids.ACTION_CONTAIN_FROM_PLAYBOOK, "value": value, "style": "primary",
                 "text": {"type": "plain_text", "text": "Request containment"}}, done]})
            continue
        block = section(truncate(text, 2900))
        block["accessory"] = done
        blocks.append(block)
    if any(step.command for step in view.steps):
        blocks.append(context("Containment steps still need a second responder's approval when requested."))
    return escape(f"Playbook {view.playbook}: {view.phase} checklist for incident {incident.label}"), blocks


def progress(incident: Incident) -> str | None:
    if not incident.playbook:
        return None
    done = len(incident.playbook_state.get("done", {}))
    total = incident.playbook_state.get("total") or 0
    return f"*Playbook*\n{escape(incident.playbook)}: {done}/{total} steps done"


def action_items(incident: Incident, items: list[ActionItem]) -> tuple[str, list[dict]]:
    if not items:
        return "No action items", [section(f"*Action items of incident {incident.label}*\nNone yet: "
                                           "`/incident action <text> @owner [due:YYYY-MM-DD]` adds one.")]
    blocks = [section(f"*Action items of incident {incident.label}*")]
    for item in items[:45]:
        owner = f" · owner <@{item.owner}>" if item.owner else ""
        due = f" · due {item.due:%Y-%m-%d}" if item.due else ""
        if item.done_at:
            blocks.append(section(f":white_check_mark: ~{escape(item.text)}~ (#{item.id}) — done by <@{item.done_by}>"))
            continue
        block = section(truncate(f":small_orange_diamond: {escape(item.text)} (#{item.id}){owner}{due}", 2900))
        block["accessory"] = {"type": "button", "action_id": ids.ACTION_ITEM_DONE, "value": str(item.id),
                              "text": {"type": "plain_text", "text": "Complete"}}
        blocks.append(block)
    return escape(f"Action items of incident {incident.label}"), blocks
