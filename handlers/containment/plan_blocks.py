"""Block Kit for an attack sequence's containment plan: one card with every step (its own
dry-run result and state), one Approve plan / Deny plan pair while steps wait, and the
progress as they run. Targets, AWS state and errors are escaped."""

from __future__ import annotations

from core.containment.model import PLANNED
from core.containment.sequence_plan import SequencePlan, Step
from handlers import ids
from handlers.blocks import context, escape, section, truncate, user
from handlers.containment.blocks import ICONS

SHOWN_LINES = 3  # of each step's current state and changes


def plan_card(plan: SequencePlan) -> tuple[str, list[dict]]:
    done = sum(1 for s in plan.steps if s.request and s.request.state in ("succeeded", "already-done"))
    sequences = ", ".join(f"`{escape(truncate(s, 80))}`" for s in plan.sequences)
    shown = [section(f":dart: *Containment plan for attack sequence {sequences}* — incident "
                     f"{escape(plan.incident.label)} · {done}/{len(plan.steps)} steps done")]
    shown += [section(_step(n, step)) for n, step in enumerate(plan.steps[:40], start=1)]
    if len(plan.steps) > 40:
        shown.append(context(f"…and {len(plan.steps) - 40} more steps (`/contain status` lists them all)"))
    if plan.decidable:
        shown.append({"type": "actions", "block_id": f"contain-plan:{plan.incident.id}", "elements": [
            {"type": "button", "action_id": ids.ACTION_CONTAIN_PLAN_APPROVE, "value": str(plan.incident.id),
             "style": "primary", "text": {"type": "plain_text", "text": f"Approve plan ({len(plan.waiting)} steps)"},
             "confirm": {"title": {"type": "plain_text", "text": "Run the whole plan?"},
                         "text": {"type": "plain_text", "text": "Every waiting step runs, one after the other."},
                         "confirm": {"type": "plain_text", "text": "Approve"},
                         "deny": {"type": "plain_text", "text": "Cancel"}}},
            {"type": "button", "action_id": ids.ACTION_CONTAIN_PLAN_DENY, "value": str(plan.incident.id),
             "style": "danger", "text": {"type": "plain_text", "text": "Deny plan"}}]})
        shown.append(context("A second person approves the plan once; each step is its own request, audited and "
                             "undoable (`/contain undo <request>`)."))
    text = f"Containment plan for incident {plan.incident.label}: {done}/{len(plan.steps)} steps done"
    return escape(text), shown


def _step(n: int, step: Step) -> str:
    head = f"*{n}. {escape(step.action)}* `{escape(truncate(step.target, 200))}`"
    request = step.request
    if request is None:
        return f":warning: {head} — cannot be planned: {escape(truncate(step.problem or '', 500))}"
    lines = [f"{ICONS.get(request.state, '')} {head} — {request.label} · *{escape(request.state)}* · "
             f"{escape(request.account)}/{escape(request.region)}"]
    current = request.plan.get("current", [])[:SHOWN_LINES]
    changes = request.plan.get("changes", [])[:SHOWN_LINES]
    lines += [f"   now: {escape(truncate(str(c), 200))}" for c in current]
    verb = "would change" if request.state == PLANNED or request.dry_run else "change"
    lines += [f"   {verb}: {escape(truncate(str(c), 200))}" for c in changes]
    if request.decided_by and request.state != PLANNED:
        lines.append(f"   decided by {user(request.decided_by)}")
    if request.error:
        lines.append(f"   :x: {escape(truncate(request.error, 300))}")
    elif (request.outcome or {}).get("summary"):
        lines.append(f"   {escape(truncate(str(request.outcome['summary']), 300))}")
    return "\n".join(lines)
