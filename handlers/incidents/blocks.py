"""Block Kit for incidents: the pinned summary, announcement, change notices, status, lists
and timeline pages. Titles, notes and anything else people typed are escaped; only user
ids that core put into a text on purpose come out as mentions."""

from __future__ import annotations

from datetime import datetime

from core.incidents.config import IncidentsConfig
from core.incidents.model import FALSE_POSITIVE, PHASES, Incident, TimelineEntry
from handlers import ids
from handlers.communications.blocks import cases_line
from handlers.communications.blocks import summary_line as regulatory_line
from handlers.playbooks.blocks import progress as playbook_progress
from handlers.blocks import MAX_BLOCKS, SECTION_TEXT_LIMIT, context, escape, section, truncate, with_mentions

NL = "\n"
KIND_ICONS = {"declared": ":rotating_light:", "severity": ":warning:", "category": ":label:",
              "phase": ":arrow_forward:", "role": ":bust_in_silhouette:", "note": ":memo:",
              "status_update": ":loudspeaker:", "pin": ":pushpin:", "playbook": ":blue_book:",
              "playbook_step": ":white_check_mark:", "action_item": ":dart:", "postmortem": ":scroll:"}
TIMELINE_PER_PAGE = 25


def when(moment: datetime | None) -> str:
    """Slack shows this in each reader's own time zone; the fallback is UTC."""
    if moment is None:
        return "never"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def age(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def phase_track(current: str) -> str:
    return " → ".join(f"*{p}*" if p == current else p for p in PHASES)


def phase_text(incident: Incident) -> str:
    """The phase track, or how the incident ended when it was no real incident."""
    reason = f" — {escape(incident.resolution_reason)}" if incident.resolution_reason else ""
    unmeasured = "_Not counted in the response metrics._"
    if incident.cancelled:
        return f":no_entry_sign: *Cancelled*{reason}" + NL + unmeasured
    if incident.resolution == FALSE_POSITIVE:
        return NL.join([phase_track(incident.phase),
                        f":white_check_mark: Resolved as a *false positive*{reason}", unmeasured])
    return phase_track(incident.phase)


def _phase_word(incident: Incident) -> str:
    return "cancelled" if incident.cancelled else incident.phase


def _roles_text(incident: Incident, cfg: IncidentsConfig) -> str:
    return "\n".join(f"{role}: {'<@' + incident.roles[role] + '>' if incident.roles.get(role) else '_unassigned_'}"
                     for role in cfg.roles)


def _severity_text(incident: Incident, cfg: IncidentsConfig) -> str:
    description = next((s.description for s in cfg.severities if s.name == incident.severity), "")
    return f"*{escape(incident.severity)}*" + (f" — {escape(description)}" if description else "")


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150), "emoji": True}}


def summary(incident: Incident, cfg: IncidentsConfig, clocks=(), cases=()) -> tuple[str, list[dict]]:
    """The pinned message that always shows the incident as it is now (with its regulatory
    clocks, core.communications.regulatory.Running, when any run, and its AWS cases,
    core.communications.ports.CaseRecord, with their status)."""
    blocks = [
        _header(f"Incident {incident.label}: {incident.title}"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Severity*\n{_severity_text(incident, cfg)}"},
            {"type": "mrkdwn", "text": f"*Category*\n{escape(incident.category)}"},
            {"type": "mrkdwn", "text": f"*Declared*\n{when(incident.declared_at)} by <@{incident.declared_by}>"},
            {"type": "mrkdwn", "text": f"*Last status update*\n{when(incident.last_update_at)}"},
        ]},
        section(f"*Phase*\n{phase_text(incident)}"),
        section(f"*Roles*\n{_roles_text(incident, cfg)}"),
    ]
    if incident.playbook:
        blocks.append(section(playbook_progress(incident)))
    if clocks:
        blocks.append(section(regulatory_line(clocks)))
    if cases:
        blocks.append(section(cases_line(cases)))
    if incident.description:
        blocks.insert(1, section(escape(incident.description)))
    blocks.append(context("Commands here act on this incident: `/incident help`"))
    if incident.is_drill:  # the banner: nobody mistakes a drill for the real thing
        blocks.insert(1, section(f":test_tube: *DRILL* — a response drill (scenario "
                                 f"{escape(str(incident.drill.get('scenario')))}); not a real incident."))
    return escape(f"Incident {incident.label}: {incident.title} ({incident.severity}, {_phase_word(incident)})"), blocks


def announcement(incident: Incident) -> tuple[str, list[dict]]:
    """What the announcement channel sees. A private incident shows its number only: no
    title, no channel, no Join (access is by invitation)."""
    if incident.private:
        text = f"Private incident {incident.label} declared"
        return text, [section(f":lock: *{text}.* Its details are shared in its channel only.")]
    channel = f"<#{incident.channel_id}>" if incident.channel_id else "_no channel yet_"
    blocks = [
        section(f":rotating_light: *Incident {incident.label}: {escape(incident.title)}*\n"
                f"Severity *{escape(incident.severity)}* · Category *{escape(incident.category)}* · "
                f"Phase *{escape(incident.phase)}* · Channel {channel}"),
        context(f"Declared by <@{incident.declared_by}> {when(incident.declared_at)}"),
    ]
    if incident.is_open and incident.channel_id:
        blocks.append({"type": "actions", "block_id": f"incident_join:{incident.id}", "elements": [
            {"type": "button", "action_id": ids.ACTION_INCIDENT_JOIN, "value": str(incident.id),
             "text": {"type": "plain_text", "text": "Join"}}]})
    return drill_tagged(incident, escape(f"Incident {incident.label} declared: {incident.title}"), blocks)


def drill_tagged(incident: Incident, text: str, blocks: list[dict]) -> tuple[str, list[dict]]:
    """A message about a drill that leaves its channel says `[DRILL]` first."""
    if not incident.is_drill:
        return text, blocks
    return f"[DRILL] {text}", [context("*[DRILL]* a response drill, not a real incident"), *blocks]


def entry_line(entry: TimelineEntry) -> str:
    icon = KIND_ICONS.get(entry.kind, ":small_blue_diamond:")
    mentions = [entry.actor, entry.data.get("user"), entry.data.get("previous"), *entry.data.get("people", ())]
    actor = f"<@{entry.actor}>" if entry.actor and entry.actor.isalnum() else escape(entry.actor or "Firebreak")
    line = f"{icon} {when(entry.at)} · {actor}: {with_mentions(entry.text, mentions)}"
    if entry.data.get("permalink"):
        line += f" (<{escape(entry.data['permalink'])}|message>)"
    return line


def entry_message(entry: TimelineEntry) -> tuple[str, list[dict]]:
    return escape(entry.text), [context(entry_line(entry))]


def status_update(incident: Incident, text: str, author: str) -> tuple[str, list[dict]]:
    return drill_tagged(incident, escape(f"Status update on incident {incident.label}: {text}"), [
        section(f":loudspeaker: *Status update — incident {incident.label}: {escape(incident.title)}*\n"
                f"{escape(text)}"),
        context(f"From <@{author}> · severity *{escape(incident.severity)}* · phase *{escape(incident.phase)}*"),
    ])


def status(incident: Incident, cfg: IncidentsConfig, now: datetime) -> tuple[str, list[dict]]:
    where = f"<#{incident.channel_id}>" if incident.channel_id else "_no channel_"
    return escape(f"Incident {incident.label}: {incident.title}"), [
        section(f"*Incident {incident.label}: {escape(incident.title)}* ({where})\n"
                f"Age *{age(incident.declared_at, now)}* · Severity {_severity_text(incident, cfg)} · "
                f"Category *{escape(incident.category)}*\nPhase: {phase_text(incident)}"),
        section(f"*Roles*\n{_roles_text(incident, cfg)}"),
        context(f"Last status update: {when(incident.last_update_at)}"),
    ]


def roles(incident: Incident, cfg: IncidentsConfig) -> tuple[str, list[dict]]:
    return escape(f"Roles of incident {incident.label}"), [
        section(f"*Roles of incident {incident.label}*\n{_roles_text(incident, cfg)}")]


def incident_list(incidents: list[Incident], now: datetime, heading: str) -> tuple[str, list[dict]]:
    if not incidents:
        return heading, [section(f"*{escape(heading)}*\nNone.")]
    lines = [f"*{p.label}* {escape(p.title)} · {escape(p.severity)} · {escape(p.phase)} · "
             f"{age(p.declared_at, now)}" + (f" · <#{p.channel_id}>" if p.channel_id else "") for p in incidents]
    return heading, _sections(f"*{escape(heading)}*", lines)


def timeline_page(incident: Incident, entries: list[TimelineEntry], page: int, total: int,
                  per_page: int = TIMELINE_PER_PAGE) -> tuple[str, list[dict]]:
    pages = max(1, -(-total // per_page))
    heading = f"*Timeline of incident {incident.label}* — page {page} of {pages} ({total} entries)"
    blocks = _sections(heading, [entry_line(e) for e in entries] or ["No entries."])
    buttons = []
    if page > 1:
        buttons.append({"type": "button", "action_id": ids.ACTION_TIMELINE_PAGE, "value": f"{incident.id}:{page - 1}",
                        "text": {"type": "plain_text", "text": "◀ Earlier"}})
    if page < pages:
        buttons.append({"type": "button", "action_id": ids.ACTION_TIMELINE_PAGE, "value": f"{incident.id}:{page + 1}",
                        "text": {"type": "plain_text", "text": "Later ▶"}})
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return escape(f"Timeline of incident {incident.label}, page {page} of {pages}"), blocks


def other_incident_note(shown: Incident, here: Incident) -> dict:
    """Said above another incident's timeline asked for in an incident channel: a number
    names an incident, and this one is not the channel's."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
        f"This is incident {shown.label}'s timeline, not this channel's ({here.label}). "
        f"For a page of {here.label}'s: `/incident timeline page 2`.")}]}


def _sections(heading: str, lines: list[str]) -> list[dict]:
    """Pack lines into as few sections as Slack's 3,000-character limit allows."""
    blocks, current = [], heading
    for line in lines:
        line = truncate(line, SECTION_TEXT_LIMIT - 10)
        if len(current) + 1 + len(line) > SECTION_TEXT_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(section(current))
    return blocks[: MAX_BLOCKS - 2]


def linked_findings(incident: Incident, findings) -> tuple[str, list[dict]]:
    """Every finding linked to the incident, oldest first (capped to fit one message)."""
    if not findings:
        return f"Incident {incident.label}: no findings", [section(
            f"No findings are linked to incident {incident.label} yet (Add to incident on a triage message).")]
    lines = [f"• *{escape(f.severity)}* `{escape(truncate(f.type, 100))}` {escape(truncate(f.title, 150))} · "
             f"{escape(f.account or '?')}/{escape(f.region or '?')} · first seen {escape(f.first_seen or '?')}"
             for f in findings[:40]]
    more = [context(f"… and {len(findings) - 40} more (`python bot.py export {incident.id}` lists them all)")] \
        if len(findings) > 40 else []
    heading = f"*Findings of incident {incident.label}* ({len(findings)})"
    chunks = [section(heading)] + [section("\n".join(lines[i:i + 10])) for i in range(0, len(lines), 10)]
    return f"Incident {incident.label}: {len(findings)} finding(s)", chunks + more
