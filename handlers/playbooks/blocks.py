"""Block Kit for playbook checklists and action items."""

from __future__ import annotations

from core.incidents.model import ActionItem, Incident
from core.playbooks.runtime import Checklist
from handlers import ids
from handlers.blocks import MAX_BLOCKS, context, escape, section, truncate

KIND_LABEL = {"check": ":white_square_button:", "ask": ":grey_question:", "contain": ":shield:",
              "investigate": ":mag:", "notify": ":mega:"}
REQUEST_LABEL = {"/contain": "Request containment", "/evidence": "Request evidence collection",
                 "/remediate": "Request remediation", "/investigate": "Run investigation"}


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
        value = f"{incident.id}:{step.key}"
        if step.done_by or step.key in incident.playbook_state.get("done", {}):
            who = f" — <@{step.done_by}>" if step.done_by and step.done_by.isalnum() else ""
            said = f"\n> {escape(truncate(step.answer, 1500))}" if step.answer else ""
            block = section(truncate(f":white_check_mark: ~{escape(step.text)}~{who}{said}", 2900))
            block["accessory"] = {"type": "button", "action_id": ids.ACTION_PLAYBOOK_UNDO, "value": value,
                                  "text": {"type": "plain_text", "text": "Undo"}}
            blocks.append(block)
            continue
        done = {"type": "button", "action_id": ids.ACTION_PLAYBOOK_ANSWER if step.kind == "ask"
                else ids.ACTION_PLAYBOOK_STEP, "value": value,
                "text": {"type": "plain_text", "text": "Answer" if step.kind == "ask" else "Done"}}
        if step.command and "<" not in step.command:  # a real target: offer to request (or run) it
            slash = step.command.split()[0]
            blocks.append(section(truncate(text, 2900)))
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "action_id": ids.ACTION_INVESTIGATE_FROM_PLAYBOOK if step.kind == "investigate"
                 else ids.ACTION_CONTAIN_FROM_PLAYBOOK, "value": value, "style": "primary",
                 "text": {"type": "plain_text", "text": REQUEST_LABEL.get(slash, "Request")}}, done]})
            continue
        block = section(truncate(text, 2900))
        block["accessory"] = done
        blocks.append(block)
    if any(step.kind == "contain" for step in view.steps):
        blocks.append(context("Containment, evidence and remediation steps still need a second responder's "
                              "approval when requested; investigations only read."))
    return escape(f"Playbook {view.playbook}: {view.phase} checklist for incident {incident.label}"), blocks


def answer_modal(incident: Incident, key: str, question: str) -> dict:
    return {"type": "modal", "callback_id": ids.VIEW_PLAYBOOK_ANSWER, "private_metadata": f"{incident.id}:{key}",
            "title": {"type": "plain_text", "text": "Playbook question"},
            "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [section(f"*{escape(question)}*"),
                       {"type": "input", "block_id": "answer", "label": {"type": "plain_text", "text": "Answer"},
                        "element": {"type": "plain_text_input", "action_id": "answer", "multiline": True,
                                    "max_length": 1000}}]}


def all_phases(incident: Incident, views: list[Checklist]) -> tuple[str, list[dict]]:
    """Every phase's steps at a glance (the phase messages carry the buttons)."""
    blocks = [section(f"*Playbook {escape(views[0].playbook)}* (incident {incident.label}, "
                      f"{views[0].done}/{views[0].total} steps done)")] if views else []
    for view in views:
        here = " ← now" if view.phase == incident.phase else ""
        lines = [f"{':white_check_mark:' if s.done_by or s.answer else ':white_square:'} {escape(s.text)}"
                 + (f" — <@{s.done_by}>" if s.done_by and s.done_by.isalnum() else "") for s in view.steps]
        blocks.append(section(truncate(f"*{escape(view.phase)}*{here}\n" + "\n".join(lines), 2900)))
    return escape(f"Playbook of incident {incident.label}"), blocks[:MAX_BLOCKS]


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
