"""Block Kit for communications: a stakeholder update, `/incident stakeholders`, pages and
regulatory clocks. Everything people or config wrote is escaped."""

from __future__ import annotations

from datetime import datetime

from core.communications.ports import StakeholderMessage
from handlers.blocks import context, escape, section, user

NL = "\n"
STATE_ICONS = {"sent": ":white_check_mark:", "partial": ":warning:", "failed": ":x:", "due": ":hourglass:",
               "sending": ":hourglass:", "triggered": ":rotating_light:", "acknowledged": ":eyes:",
               "resolved": ":white_check_mark:"}


def stamp(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def stakeholder_message(message: StakeholderMessage) -> tuple[str, list[dict]]:
    """What an audience sees in Slack."""
    lines = [f":mega: *{escape(message.headline)}*"]
    if message.text:
        lines.append(escape(message.text))
    body = [section(NL.join(lines)), {"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*What happened*\n{escape(message.what_happened)[:1900]}"},
        {"type": "mrkdwn", "text": f"*Impact*\n{escape(message.impact)[:1900]}"},
        {"type": "mrkdwn", "text": f"*Current phase*\n{escape(message.phase)}"},
        {"type": "mrkdwn", "text": f"*Next update*\n{escape(message.next_update or 'when there is news')}"}]}]
    sent_by = f"Sent by {user(message.sender)}" if message.sender else "Sent by Firebreak (communications plan)"
    where = f" · responders work in <#{message.channel_id}>" if message.channel_id else ""
    body.append(context(sent_by + where))
    return escape(f"{message.headline}: {message.phase}" + (f" — {message.text}" if message.text else ""))[:3000], body


def stakeholders(incident, report, pages, clocks, cases=()) -> tuple[str, list[dict]]:
    """`/incident stakeholders`: what was sent, what the plan still owes, pages, clocks, AWS cases."""
    out = [section(f"*Stakeholders of incident {incident.label}*")]
    if report.owed:
        lines = [f"{STATE_ICONS.get(o.state, '')} *{escape(o.audience)}* — {escape(o.trigger)} {stamp(o.at)}: "
                 + ("*still due*" if o.state == "due" else escape(o.state))
                 + (f" ({escape('; '.join(o.record.detail.get('errors', [])))})"
                    if o.record is not None and o.record.detail.get("errors") else "")
                 for o in report.owed[-40:]]
        out.append(section("*By the plan*\n" + NL.join(lines)))
    else:
        out.append(section("*By the plan*\nNothing so far (communications.rules asks for nothing here)."))
    manual = [r for r in report.sent if r.trigger in ("manual", "regulatory")]
    if manual:
        out.append(section("*Sent by hand and reminders*\n" + NL.join(
            f"{STATE_ICONS.get(r.state, '')} *{escape(r.audience)}* {stamp(r.at)}"
            + (f" by {user(r.actor)}" if r.actor else "") + f": {escape(r.text[:150])}" for r in manual[-20:])))
    if report.upcoming:
        out.append(section("*Next*\n" + NL.join(escape(u) for u in report.upcoming)
                           + (f"\nNext status update due {stamp(report.next_update)}" if report.next_update else "")))
    if pages:
        out.append(section("*Pages*\n" + NL.join(
            f"{STATE_ICONS.get(p.state, '')} {user(p.target) if p.target[:1] in 'UW' else '*' + escape(p.target) + '*'}"
            f" {escape(p.state)} {stamp(p.updated_at)}" + (f" — {escape(p.error[:200])}" if p.error else "")
            for p in pages)))
    if clocks:
        out.append(section("*Regulatory clocks* (not legal advice)\n" + NL.join(clock_line(c) for c in clocks)))
    if cases:
        out.append(section(cases_line(cases)))
    return f"Stakeholders of incident {incident.label}", out


def clock_line(clock) -> str:
    if clock.met_at is not None:
        return f":white_check_mark: {escape(clock.name)} — notified {stamp(clock.met_at)}" + (
            f" by {user(clock.met_by)}" if clock.met_by else "")
    return f":hourglass: {escape(clock.name)} — due {stamp(clock.deadline)}"


def summary_line(clocks) -> str:
    """The pinned summary's line of regulatory clocks."""
    return "*Regulatory clocks* (not legal advice)\n" + NL.join(clock_line(c) for c in clocks)


CASE_NAMES = {"support": "AWS Support", "security-ir": "AWS Security Incident Response"}


def cases_line(cases) -> str:
    """The pinned summary's line of AWS cases (core.communications.ports.CaseRecord)."""
    return "*AWS cases*\n" + NL.join(
        f"{CASE_NAMES.get(c.kind, escape(c.kind))} `{escape(c.case_id or '')}` — {escape(c.status or c.state)}"
        + (" (resolved)" if c.state == "resolved" and (c.status or "").lower() not in ("resolved", "closed") else "")
        for c in cases)


def notify_fields(message: StakeholderMessage) -> list[tuple[str, str, str, bool]]:
    """(field, label, initial value, multiline) of the notify form."""
    return [("text", "Message", message.text, True),
            ("what_happened", "What happened", message.what_happened, True),
            ("impact", "Impact", message.impact, False),
            ("phase", "Current phase", message.phase, False),
            ("next_update", "Next update", message.next_update, False)]
