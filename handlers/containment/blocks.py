"""Block Kit for containment: the request card (plan, buttons, decision, result), the
status list and help. Everything that came from AWS or a person (names, tags, targets,
error messages) is escaped; only user ids Firebreak itself recorded become mentions."""

from __future__ import annotations

from core.containment.catalog import FAMILIES
from core.containment.model import (ALREADY, DENIED, EXECUTING, EXPIRED, PLANNED, REQUESTED, SUCCEEDED, UNDONE,
                                    ContainRequest)
from core.containment.flow import AUTO_APPROVER
from core.containment.ports import CardView
from core.incidents.model import Incident
from handlers import ids
from handlers.blocks import context, escape, section, user
from handlers.incidents.blocks import when

ICONS = {REQUESTED: ":hourglass_flowing_sand:", "approved": ":white_check_mark:", EXECUTING: ":gear:",
         SUCCEEDED: ":shield:", "failed": ":x:", "failed-unknown": ":grey_question:", DENIED: ":no_entry:",
         EXPIRED: ":alarm_clock:", PLANNED: ":memo:", UNDONE: ":leftwards_arrow_with_hook:", ALREADY: ":ballot_box_with_check:"}
PER_SECTION = 10  # lines per section: 10 long lines stay under Slack's 3,000 characters


def _who(user_id: str | None) -> str:
    if user_id == AUTO_APPROVER:
        return "configuration (auto-approve)"
    return user(user_id) if user_id else "nobody"


def _lines(items: list[str]) -> str:
    return "\n".join(f"• {escape(item)}" for item in items) or "• _nothing_"


def _sections(title: str, items: list[str], limit: int = 2900) -> list[dict]:
    """The plan's lines in as many sections as they need: a long plan is split, never cut."""
    if not items:
        return [section(f"{title}\n• _nothing_")]
    packed, current = [], title
    for item in items:
        line = f"• {escape(item)}"
        if len(current) + 1 + len(line) > limit and current != title:
            packed.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    packed.append(current)
    return [section(text) for text in packed]


def deny_modal(request: ContainRequest) -> dict:
    """Deny asks why (optional): the reason goes on the card and the timeline."""
    return {"type": "modal", "callback_id": ids.VIEW_CONTAIN_DENY, "private_metadata": str(request.id),
            "title": {"type": "plain_text", "text": f"Deny {request.label}"[:24]},
            "submit": {"type": "plain_text", "text": "Deny"}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [section(f"*{escape(request.title)}* in {escape(request.account)}/{escape(request.region)}"),
                       {"type": "input", "block_id": "reason", "optional": True,
                        "label": {"type": "plain_text", "text": "Why? (shown on the card and the timeline)"},
                        "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True,
                                    "max_length": 500}}]}


def _region(request: ContainRequest) -> str:
    """S3 bucket names are global: show where the bucket lives, not a region from elsewhere."""
    bucket_region = (request.plan.get("facts") or {}).get("bucket_region")
    if bucket_region:
        return f"*Region*\n{escape(bucket_region)}\n_the bucket's own (S3 names are global)_"
    return f"*Region*\n{escape(request.region)}{_source(request, 'region')}"


def _source(request: ContainRequest, what: str) -> str:
    """Where the account or region came from (an option, the incident's finding, the default)."""
    source = (request.plan.get("where") or {}).get(what)
    return f"\n_from {escape(source)}_" if source else ""


def card(view: CardView) -> tuple[str, list[dict]]:
    """The message everyone in the incident channel sees, updated as the request moves on."""
    request = view.request
    title = f"{escape(request.title)}"
    shown = [
        section(f"{ICONS.get(request.state, '')} *{request.family.label} {request.label}: {title}* — "
                f"incident {escape(view.incident_label)} · *{escape(request.state)}*"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Account*\n{escape(request.account)}{_source(request, 'account')}"},
            {"type": "mrkdwn", "text": _region(request)},
            {"type": "mrkdwn", "text": f"*Target*\n`{escape(request.target)}`"},
            {"type": "mrkdwn", "text": f"*Requested by*\n{_who(request.requested_by)}"},
        ]},
        *_sections("*Current state*", list(view.current)),
        *_sections(f"*{'Would change' if view.hypothetical else 'Change'}*", list(view.changes)),
    ]
    shown += _status(view)
    if view.decidable:
        shown.append({"type": "actions", "block_id": f"contain:{request.id}", "elements": [
            {"type": "button", "action_id": ids.ACTION_CONTAIN_APPROVE, "value": str(request.id), "style": "primary",
             "text": {"type": "plain_text", "text": "Approve"},
             "confirm": {"title": {"type": "plain_text", "text": f"Run {request.action}?"[:100]},
                         "text": {"type": "plain_text", "text": f"This changes {request.target} in "
                                                                f"{request.account} now."[:300]},
                         "confirm": {"type": "plain_text", "text": "Approve"},
                         "deny": {"type": "plain_text", "text": "Cancel"}}},
            {"type": "button", "action_id": ids.ACTION_CONTAIN_DENY, "value": str(request.id), "style": "danger",
             "text": {"type": "plain_text", "text": "Deny"}}]})
    return escape(f"{request.family.label} {request.label} ({request.state}): {request.title}"), shown


def _status(view: CardView) -> list[dict]:
    request = view.request
    if request.state == PLANNED:
        forced = request.plan.get("forced_dry_run")  # a drill outside the AWS sandbox
        return [context("Dry run: the plan only; nothing was changed and nothing will be."
                        + (f" {escape(forced[:1].upper() + forced[1:])}." if forced else ""))]
    if request.state == ALREADY and not request.decided_by:
        return [context("Already in place: nothing to approve and nothing was run.")]
    if request.state == ALREADY:  # approved, then found in place when it was to run
        return [context(f"Approved by {_who(request.decided_by)} {when(request.decided_at)}. Already in place "
                        "when it was to run: nothing was changed, so there is nothing to undo.")]
    if request.state == REQUESTED:
        return [context(f"Needs approval by someone other than {_who(request.requested_by)} before "
                        f"{when(request.expires_at)}. `/{request.family.command} status` lists this incident's "
                        "requests.")]
    lines = []
    if request.decided_by:
        verb = "Denied" if request.state == DENIED else "Approved"
        why = f": {escape(request.decision_note)}" if request.decision_note else ""
        lines.append(context(f"{verb} by {_who(request.decided_by)} {when(request.decided_at)}{why}"))
    if request.state == EXPIRED:
        lines.append(context(f"Expired {when(request.expires_at)} without approval. Request it again for a fresh "
                             f"plan: `/{request.family.command} {escape(request.action)} {escape(request.target)}`"))
    outcome = request.outcome or {}
    if outcome.get("summary"):
        checks = "\n".join(f"{':white_check_mark:' if ok else ':warning:'} {escape(what)}"
                           for what, ok in outcome.get("checks", []))
        verdict = "Verified" if outcome.get("verified") else "*Verification found problems*"
        lines.append(section(f"*Result*: {escape(outcome['summary'])}\n*{verdict}*\n{checks}"))
    if request.error:
        code = f" (`{escape(request.error_code)}`)" if request.error_code else ""
        lines.append(section(f":x: *Failed*{code}: {escape(request.error)}"))
    if view.undoable:
        lines.append(context(f"Reverse with `/{request.family.command} undo {request.id}` (needs approval too)."))
    return lines


def status_list(incident: Incident, requests: list[ContainRequest], family: str = "contain"
                ) -> tuple[str, list[dict]]:
    heading = f"{FAMILIES[family].label} requests of incident {incident.label}"
    if not requests:
        return heading, [section(f"*{heading}*\nNone yet. `/{family} help` lists the catalog.")]
    lines = [f"{ICONS.get(r.state, '')} *{r.label}* {escape(r.title)} · {escape(r.account)}/{escape(r.region)} · "
             f"*{escape(r.state)}* · by {_who(r.requested_by)}"
             + (f" · decided by {_who(r.decided_by)}" if r.decided_by else "")
             + (f" · `{escape(r.error_code)}`" if r.error_code else "") for r in requests[-400:]]
    chunks = [lines[i:i + PER_SECTION] for i in range(0, len(lines), PER_SECTION)]
    return heading, [section(f"*{heading}*")] + [section("\n".join(chunk)) for chunk in chunks]
