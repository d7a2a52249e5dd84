"""Block Kit for findings: the triage message, the storm digest and its pages, the dismiss
modal and the "also seen in finding" note. Every field of a finding is attacker-controlled
(a title can say <!channel>), so all of it goes through escape(); only user ids that
Slack itself gave us become mentions."""

from __future__ import annotations

from urllib.parse import quote

from core.findings.ports import Digest, DigestView, FindingView, IndicatorMatch, StoredFinding
from core.findings.triage import SNOOZE_CHOICES, SNOOZE_SCOPES, SYSTEM_ACTOR
from core.incidents.model import Incident
from handlers import ids
from handlers.blocks import context, escape, section, truncate
from handlers.findings.sequence_blocks import sequence_blocks

ICONS = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:",
         "low": ":large_blue_circle:", "informational": ":white_circle:"}
PAGE_SIZE = 20
SHOWN_ACTIVITY = 5
OPTION_TEXT = 75
PRIVATE_CHOICE = "private"  # the Add to incident entry that opens the private-incident form


def _who(user: str) -> str:
    return "Firebreak" if user == SYSTEM_ACTOR else (f"<@{user}>" if user.isalnum() else escape(user))


def _plain(text: str, limit: int = OPTION_TEXT) -> dict:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": False}


def _option(text: str, value: str) -> dict:
    return {"text": _plain(text), "value": value}


def _headline(f: StoredFinding) -> str:
    return (f"{ICONS.get(f.severity, ':white_circle:')} *{escape(f.severity.upper())}* · {escape(f.product)} · "
            f"`{escape(f.type)}`\n*{escape(f.title)}*")


def _where(f: StoredFinding) -> str:
    parts = [f"Account {escape(f.account or 'unknown')}", escape(f.region or "no region")]
    if f.resources:
        first = f.resources[0]
        more = f" (+{len(f.resources) - 1})" if len(f.resources) > 1 else ""
        parts.append(f"{escape(first['type'])} `{escape(truncate(first['id'], 200))}`{more}")
    parts.append(f"seen {f.count}× · {escape(f.first_seen or '?')} → {escape(f.last_seen or '?')}")
    return " · ".join(parts)


def _indicators(f: StoredFinding) -> str | None:
    shown = [f"{kind.replace('_', ' ')}: " + ", ".join(f"`{escape(truncate(v, 120))}`" for v in values[:5])
             + (f" (+{len(values) - 5})" if len(values) > 5 else "")
             for kind, values in sorted(f.indicators.items()) if values]
    return "\n".join(shown) if shown else None


def _status(f: StoredFinding) -> str | None:
    if f.status == "dismissed":
        return ":no_entry_sign: *Dismissed as a false positive*"
    if f.incident_id is not None:
        return f":link: Part of incident *#{f.incident_id}*"
    if f.status == "snoozed":
        return ":zzz: *Snoozed*"
    return None


def _controls(view: FindingView) -> dict | None:
    """The buttons and menus core offers (view.declare, link_to, contain, triage); the values
    carry the finding's pk and an entry's position, parsed back in handlers/findings/actions.py."""
    f = view.finding
    elements = []
    if view.declare:
        elements.append({"type": "button", "action_id": ids.ACTION_FINDING_DECLARE, "style": "primary",
                         "text": _plain("Declare incident"), "value": str(f.pk)})
    if view.link_to or view.link_private:
        # Everyone in the channel sees the same menu: public incidents by title, and one entry
        # that lists the private ones to the person who chooses it (and only those they may see).
        elements.append({"type": "static_select", "action_id": ids.ACTION_FINDING_LINK,
                         "placeholder": _plain("Add to incident"),
                         "options": [_option(f"#{i.id} {i.title}", f"{f.pk}:{i.id}")
                                     for i in view.link_to[:99 if view.link_private else 100]]
                         + ([_option("Private incident…", f"{f.pk}:{PRIVATE_CHOICE}")] if view.link_private else [])})
    if view.contain:  # requests go to the finding's incident and still need a second approver
        elements.append({"type": "static_select", "action_id": ids.ACTION_CONTAIN_FROM_FINDING,
                         "placeholder": _plain("Contain…"), "options": [
                             _option(f"{action} {target}", f"{f.pk}:{n}")
                             for n, (action, target) in enumerate(view.contain)]})
    if view.triage:
        elements.append({"type": "static_select", "action_id": ids.ACTION_FINDING_SNOOZE,
                         "placeholder": _plain("Snooze"),
                         "options": [_option(f"{label} · {SNOOZE_SCOPES[scope]}", f"{f.pk}:{scope}:{key}")
                                     for scope in SNOOZE_SCOPES for key, (_, label) in SNOOZE_CHOICES.items()]})
        elements.append({"type": "button", "action_id": ids.ACTION_FINDING_DISMISS, "style": "danger",
                         "text": _plain("Dismiss as false positive"), "value": str(f.pk)})
    return {"type": "actions", "block_id": f"finding:{f.pk}", "elements": elements} if elements else None


CONSOLE = {"guardduty": "https://{region}.console.aws.amazon.com/guardduty/home?region={region}#/findings?search=id%3D{id}",
           "asff": "https://{region}.console.aws.amazon.com/securityhub/home?region={region}#/findings?search=Id%3D{id}",
           "cloudtrail": "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{id}"}


def console_link(f: StoredFinding) -> str | None:
    """The finding in the AWS console (ids and regions URL-quoted: they come from outside)."""
    kind = "asff" if f.raw_format.startswith("asff") else f.raw_format.split("-")[0]
    template = CONSOLE.get(kind)
    if template is None or not f.region:
        return None
    return template.format(region=quote(f.region, safe=""), id=quote(quote(f.finding_id, safe=""), safe=""))


def finding_details(f: StoredFinding) -> tuple[str, list[dict]]:
    """What an incident channel is shown of a finding linked to it (every resource listed)."""
    shown = [section(_headline(f)), context(_where(f))]
    if indicators := _indicators(f):
        shown.append(section(indicators))
    shown += sequence_blocks(f)
    if len(f.resources) > 1:
        shown.append(section("*Resources*\n" + "\n".join(
            f"{escape(r.get('type', '?'))} `{escape(truncate(str(r.get('id', '')), 200))}`" for r in f.resources[:20])))
    if link := console_link(f):
        shown.append(context(f"<{link}|Open in the AWS console> · `{escape(truncate(f.finding_id, 200))}`"))
    return escape(f"Finding: {f.title}"), shown


def finding_message(view: FindingView) -> tuple[str, list[dict]]:
    """The triage message, re-rendered whole on every change (chat.update)."""
    f = view.finding
    shown = [section(_headline(f)), context(_where(f))]
    if indicators := _indicators(f):
        shown.append(section(indicators))
    shown += sequence_blocks(f)
    if status := _status(f):
        shown.append(section(status))
    if f.activity:
        shown.append(context("\n".join(f"{_who(a['user'])} · {escape(a['text'])} · {escape(a['at'])}"
                                       for a in f.activity[-SHOWN_ACTIVITY:])))
    shown.append(context(f"Finding `{escape(truncate(f.finding_id, 300))}` · {escape(f.source)} · "
                         f"route {escape(f.route or 'default')}"))
    if controls := _controls(view):
        shown.append(controls)
    return escape(f"{f.severity.upper()} finding: {f.title}")[:3000], shown


def _line(f: StoredFinding) -> str:
    return (f"{ICONS.get(f.severity, ':white_circle:')} *{escape(f.severity)}* `{escape(truncate(f.type, 80))}` "
            f"{escape(truncate(f.title, 120))} · {escape(f.account or '?')}/{escape(f.region or '?')}")


def digest_message(view: DigestView) -> tuple[str, list[dict]]:
    """`view.counts`: how many of each severity the digest holds, shown most severe first, so
    a glance tells whether anything in it needs a look now."""
    d, top, counts = view.digest, view.top, view.counts
    by_severity = " · ".join(f"{ICONS[s]} {counts[s]} {s}" for s in ICONS if counts.get(s))
    shown = [section(f":fire: *{d.size} more {_findings(d.size)}* from route *{escape(d.route)}* since "
                     f"{d.window_start:%H:%M} UTC, grouped to keep this channel readable"),
             context(f"In this digest: {by_severity}" if by_severity else "no findings"),
             section("\n".join(_line(f) for f in top) or "_none yet_")]
    rest = view.more
    if rest > 0:
        shown.append(context(f"…and {rest} more, all stored: *Show all* lists them page by page."))
    shown.append({"type": "actions", "block_id": f"digest:{d.id}", "elements": [
        {"type": "button", "action_id": ids.ACTION_DIGEST_PAGE, "text": _plain(f"Show all {d.size}"),
         "value": f"{d.id}:0"}]})
    plain = ", ".join(f"{counts[s]} {s}" for s in ICONS if counts.get(s))
    return (f"{d.size} {_findings(d.size)} grouped in a digest (route {escape(d.route)})"
            + (f": {plain}" if plain else ""), shown)


def _findings(n: int) -> str:
    return "finding" if n == 1 else "findings"


def digest_page(d: Digest, items: list[StoredFinding], page: int) -> tuple[str, list[dict]]:
    """One page of a digest (ephemeral): each finding can get its own triage message."""
    pages = max((d.size + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    shown = [section(f"*Digest of route {escape(d.route)}* · page {page + 1} of {pages} · {d.size} findings")]
    for start in range(0, len(items), 10):
        shown.append(section("\n".join(f"{start + n + 1 + page * PAGE_SIZE}. {_line(f)}\n"
                                       f"      `{escape(truncate(f.finding_id, 200))}`"
                                       for n, f in enumerate(items[start:start + 10]))))
    elements = []
    if items:
        elements.append({"type": "static_select", "action_id": ids.ACTION_FINDING_OPEN,
                         "placeholder": _plain("Triage one of these…"),
                         "options": [_option(f"{page * PAGE_SIZE + n + 1}. {f.severity} {f.title}", str(f.pk))
                                     for n, f in enumerate(items)]})
    for label, target in (("Previous", page - 1), ("Next", page + 1)):
        if 0 <= target < pages:
            elements.append({"type": "button", "action_id": ids.ACTION_DIGEST_PAGE, "text": _plain(label),
                             "value": f"{d.id}:{target}"})
    if elements:
        shown.append({"type": "actions", "block_id": f"digest-page:{d.id}:{page}", "elements": elements})
    return f"Digest page {page + 1} of {pages}", shown


def _write_back_note(f: StoredFinding) -> str:
    """Say only what will happen: CloudTrail events have nothing in AWS to update."""
    if f.raw_format.startswith("asff"):
        return "The reason is written back to Security Hub (workflow SUPPRESSED, the reason as a note)."
    if f.raw_format.startswith("guardduty"):
        return "The reason is written back to GuardDuty (feedback NOT_USEFUL, then archived)."
    return "Recorded in Firebreak only: this source has no finding in AWS to update."


def private_link_modal(f: StoredFinding, incidents: list[Incident]) -> dict:
    """Add to incident → Private incident…: only the private incidents this person may see."""
    return {"type": "modal", "callback_id": ids.VIEW_FINDING_LINK_PRIVATE, "private_metadata": str(f.pk),
            "title": _plain("Add to incident", 24), "submit": _plain("Add", 24), "close": _plain("Cancel", 24),
            "blocks": [section(f"*{escape(f.title)}*\n`{escape(truncate(f.finding_id, 300))}`"),
                       {"type": "input", "block_id": "incident", "label": _plain("Private incident"),
                        "element": {"type": "static_select", "action_id": "incident",
                                    "options": [_option(f"#{i.id} {i.title}", str(i.id)) for i in incidents[:100]]}}]}


def dismiss_modal(f: StoredFinding) -> dict:
    return {"type": "modal", "callback_id": ids.VIEW_FINDING_DISMISS, "private_metadata": str(f.pk),
            "title": _plain("Dismiss finding", 24), "submit": _plain("Dismiss", 24), "close": _plain("Cancel", 24),
            "blocks": [section(f"*{escape(f.title)}*\n`{escape(truncate(f.finding_id, 300))}`"),
                       context(_write_back_note(f)),
                       {"type": "input", "block_id": "reason", "label": _plain("Why is this a false positive?"),
                        "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True,
                                    "max_length": 500}}]}


def indicator_note(m: IndicatorMatch) -> tuple[str, list[dict]]:
    shared = ", ".join(f"{kind.replace('_', ' ')} `{escape(truncate(value, 120))}`" for kind, value in m.shared)
    text = (f":mag: *Also seen in finding* `{escape(truncate(m.finding_id, 200))}` — {escape(truncate(m.finding_title, 300))}"
            f"\nShares {shared} with linked finding `{escape(truncate(m.linked_finding_id, 200))}`.")
    return escape(f"Also seen in finding {m.finding_id}")[:3000], [section(text)]
