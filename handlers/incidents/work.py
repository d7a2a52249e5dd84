"""The incident domain's work after the ack: each typed command → one core call → the
answer rendered through the reply port. Run by a job worker (handlers/jobs/dispatch.py);
permission and state rules are core's."""

from __future__ import annotations

from core.access import require_responder
from core.drills import runner as drills
from core.incidents import lifecycle, roles, service as incidents, timeline
from core.errors import UsageError
from core.incidents.model import Incident
from core.mentions import as_text
from core.reports import program
from core.scheduling import stats
from core.scheduling.period import last_complete_month, parse_period
from core.services import Services
from handlers import blocks
from handlers.incidents import blocks as incident_blocks
from handlers.incidents.commands import (AddNote, AnswerMention, AssignRole, Cancel, ChangePhase, Close, Declare,
                                         DeclareFromForm, EndDrill, JoinIncident, ListDrills, ListIncidents,
                                         PinMessage, PostUpdate, Reopen, Resolve, SetCategory, SetSeverity,
                                         ShowFindings, ShowReport, ShowRoles, ShowStats, ShowStatus, ShowTimeline,
                                         ShowTimelinePage, StartDrill, UnpinMessage)
from handlers.incidents.target import Target, locate
from handlers.jobs.reply import Reply
from handlers.reports.post import post_report
from handlers.jobs.routes import Routes


def confirm_elsewhere(reply: Reply, target: Target, incident: Incident, text: str) -> None:
    """Confirm privately when the change was made from outside the incident channel (inside
    it, the change shows up in the channel)."""
    if target.channel != incident.channel_id:
        reply.respond(text=text, blocks=[blocks.section(f":white_check_mark: {blocks.escape(text)}")],
                      response_type="ephemeral")


# ------------------------------------------------------------------ /incident
def declare(services: Services, command: Declare, reply: Reply) -> None:
    result = incidents.declare(services, title=command.title, severity=command.severity, private=command.private,
                               declared_by=command.user, origin_channel=command.channel, dedup_key=command.key)
    incident = result.incident
    if not result.created or command.channel == incident.channel_id:
        return
    if services.config.incidents.announced(incident.private):
        text, shown = incident_blocks.announcement(incident)
        reply.respond(text=text, blocks=shown[:2], response_type="in_channel")
    else:  # private_announcement: none - the declaring channel sees nothing, the declarer where it went
        reply.respond(text=f"Incident {incident.label} declared", response_type="ephemeral",
                      blocks=[blocks.section(f":lock: Private incident {blocks.escape(incident.label)} declared: "
                                             + (f"<#{incident.channel_id}>" if incident.channel_id else
                                                "no channel yet"))])


def status(services: Services, command: ShowStatus, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    text, shown = incident_blocks.status(incident, services.config.incidents, services.clock.now())
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def listing(services: Services, command: ListIncidents, reply: Reply) -> None:
    found = incidents.listed(services, command.user, open_only=command.open_only, severity=command.severity)
    heading = (f"{'Open' if command.open_only else 'All'} incidents"
               + (f" of severity {command.severity}" if command.severity else ""))
    text, shown = incident_blocks.incident_list(found, services.clock.now(), heading)
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def change(decide):
    """A handler applying one lifecycle decision: decide(cfg, current, command, actor, at)."""

    def run(services: Services, command, reply: Reply) -> None:
        incident, _ = locate(services, command.user, command.target)
        cfg, actor = services.config.incidents, command.user
        incident, entries = incidents.apply(services, incident.id,
                                            lambda current, at: decide(cfg, current, command, actor, at), actor=actor)
        confirm_elsewhere(reply, command.target, incident, f"Incident {incident.label}: {entries[-1].text}")

    return run


set_severity = change(lambda cfg, current, c, actor, _at: lifecycle.set_severity(cfg, current, c.severity, actor))
_set_category = change(lambda cfg, current, c, actor, _at: lifecycle.set_category(cfg, current, c.category, actor))


def set_category(services: Services, command: SetCategory, reply: Reply) -> None:
    """A playbook's or drill's name (`crypto-mining`) is no category: say which it is filed under."""
    name, cfg = command.category.lower(), services.config.incidents
    playbook = services.playbooks.get(name) if name not in cfg.categories else None
    if playbook is not None:
        filed = ", ".join(c for c in playbook.match.categories if c in cfg.categories) or cfg.default_category
        raise UsageError(f"“{name}” is a playbook, not a category: it is filed under {filed} "
                         f"(`/incident category {filed.split(', ')[0]}`), and `/incident playbook {name}` attaches "
                         f"it. Categories: {', '.join(cfg.categories)}.", "/incident category <category>")
    _set_category(services, command, reply)
change_phase = change(lambda cfg, current, c, actor, at: lifecycle.change_phase(cfg, current, c.phase, actor, at))
resolve = change(lambda cfg, current, c, actor, at: lifecycle.resolve(
    cfg, current, actor, at, false_positive=c.false_positive, reason=c.reason))
reopen = change(lambda cfg, current, c, actor, _at: lifecycle.reopen(cfg, current, actor))


def cancel(services: Services, command: Cancel, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    cfg, actor = services.config.incidents, command.user
    reason = command.reason_if_here if number_is_text else command.reason
    incident, entries = incidents.apply(services, incident.id,
                                        lambda current, at: lifecycle.cancel(cfg, current, reason, actor, at),
                                        actor=actor)
    confirm_elsewhere(reply, command.target, incident, f"Incident {incident.label}: {entries[-1].text}")


def close(services: Services, command: Close, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    left = incidents.unfinished(services, incident)
    if left and not command.confirmed:
        text = (f"Incident {incident.label} still has " + "; ".join(left) + ". Close it anyway with "
                "`/incident close confirm`, or finish them first (`/incident actions`, `/incident playbook`).")
        return reply.respond(text=text, blocks=[blocks.section(f":warning: {blocks.escape(text)}")],
                             response_type="ephemeral")
    cfg, actor = services.config.incidents, command.user
    incident, entries = incidents.apply(services, incident.id,
                                        lambda current, at: lifecycle.close(cfg, current, actor, at), actor=actor)
    confirm_elsewhere(reply, command.target, incident, f"Incident {incident.label}: {entries[-1].text}")
    incidents.archive_if_configured(services, incident)


def assign_role(services: Services, command: AssignRole, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    cfg, actor = services.config.incidents, command.user
    incident, _ = incidents.apply(
        services, incident.id, lambda current, _at: roles.assign(cfg, current, command.role, command.assignee, actor),
        actor=actor)
    if incident.channel_id:
        services.chat.invite(incident.channel_id, [command.assignee])
    confirm_elsewhere(reply, command.target, incident, f"Incident {incident.label}: {command.role} assigned")


def show_roles(services: Services, command: ShowRoles, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    text, shown = incident_blocks.roles(incident, services.config.incidents)
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def note(services: Services, command: AddNote, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    cfg, actor = services.config.incidents, command.user
    text = command.text_if_here if number_is_text else command.text
    incident, _ = incidents.apply(services, incident.id, lambda current, _at: lifecycle.note(cfg, current, text, actor),
                                  actor=actor)
    confirm_elsewhere(reply, command.target, incident, f"Note added to incident {incident.label}")


def update(services: Services, command: PostUpdate, reply: Reply) -> None:
    incident, number_is_text = locate(services, command.user, command.target)
    cfg, actor = services.config.incidents, command.user
    text = command.text_if_here if number_is_text else command.text
    incident, _ = incidents.apply(services, incident.id,
                                  lambda current, at: lifecycle.status_update(cfg, current, text, actor, at),
                                  actor=actor, echo=False)
    services.chat.post_status_update(incident, text, actor)
    confirm_elsewhere(reply, command.target, incident, f"Status update posted for incident {incident.label}")


def show_timeline(services: Services, command: ShowTimeline, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    entries, total = services.incidents.timeline_page(incident.id, page=command.page,
                                                      per_page=incident_blocks.TIMELINE_PER_PAGE)
    text, shown = incident_blocks.timeline_page(incident, entries, command.page, total)
    # Shown to the channel only in the incident's own channel; anywhere else only to you.
    here = command.target.channel == incident.channel_id
    channel_incident = services.incidents.by_channel(command.target.channel) if command.target.channel else None
    if not here and channel_incident is not None and command.target.ref:  # `timeline 2` in another's channel
        shown = [incident_blocks.other_incident_note(incident, channel_incident), *shown]
    reply.respond(text=text, blocks=shown, response_type="in_channel" if here else "ephemeral")


def show_findings(services: Services, command: ShowFindings, reply: Reply) -> None:
    incident, _ = locate(services, command.user, command.target)
    text, shown = incident_blocks.linked_findings(incident, services.repos.findings.linked(incident.id))
    reply.respond(text=text, blocks=shown, response_type="ephemeral")


def show_stats(services: Services, command: ShowStats, reply: Reply) -> None:
    require_responder(command.user, services.config.access.responders, services.directory)
    report = stats.build(services, command.days, drills=command.drills)
    text = stats.render(report)
    reply.respond(text=f"Response metrics, last {report.days} days", response_type="ephemeral",
                  blocks=[blocks.section(f"```\n{blocks.escape(part)}\n```") for part in text.split("\n\n")])


def show_report(services: Services, command: ShowReport, reply: Reply) -> None:
    """The summary and the charts, in the channel it was asked in (responders only: it names
    incidents and owners)."""
    require_responder(command.user, services.config.access.responders, services.directory)
    period = (parse_period(command.period) if command.period
              else last_complete_month(services.clock.now()))
    post_report(reply.client, command.channel, program.build(services, period))


def list_drills(services: Services, command: ListDrills, reply: Reply) -> None:
    require_responder(command.user, services.config.access.responders, services.directory)
    shown = drills.listing(services) or ["No drill scenarios (drills/*.yaml)."]
    reply.respond(text="Drill scenarios", response_type="ephemeral",
                  blocks=[blocks.section(blocks.escape("\n".join(shown)))])


def start_drill(services: Services, command: StartDrill, reply: Reply) -> None:
    incident = drills.start(services, command.scenario, actor=command.user, origin_channel=command.channel)
    reply.respond(text=f"Drill started: incident {incident.label}", response_type="ephemeral",
                  blocks=[blocks.section(blocks.escape(f"[DRILL] {command.scenario} started as incident "
                                                       f"{incident.label} in #{incident.channel_name}."))])


def end_drill(services: Services, command: EndDrill, reply: Reply) -> None:
    ended = drills.end(services, actor=command.user, channel=command.channel, ref=command.ref)
    incident, lines = ended.incident, ended.lines
    if ended.already:  # said again, in the drill channel too: answer rather than stay silent
        when = str(incident.drill.get("scorecard", {}).get("ended_at", ""))[:16].replace("T", " ")
        said = (f"Drill {incident.label} already ended ({when} UTC; now {incident.phase}); its scorecard:\n"
                + "\n".join(lines))
        reply.respond(text=blocks.escape(as_text(said, services.directory.name)), response_type="ephemeral")
        return
    confirm_elsewhere(reply, Target(channel=command.channel), incident,
                      f"Drill {incident.label} ended: " + "; ".join(lines[1:4]))


# ------------------------------------------------------------------ buttons, the form, events
def join(services: Services, command: JoinIncident, reply: Reply) -> None:
    """Invite whoever pressed Join into the incident channel."""
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    if not incident.channel_id:
        raise UsageError(f"Incident {incident.label} has no channel yet.")
    services.chat.invite(incident.channel_id, [command.user])
    reply.respond(text=f"You joined incident {incident.label}.", response_type="ephemeral", replace_original=False,
                  blocks=[blocks.section(f":white_check_mark: You are in <#{incident.channel_id}> now.")])


def timeline_page(services: Services, command: ShowTimelinePage, reply: Reply) -> None:
    """Replace the timeline message with the requested page."""
    incident = incidents.find(services, actor=command.user, channel=None, ref=command.ref)
    entries, total = services.incidents.timeline_page(incident.id, page=command.page,
                                                      per_page=incident_blocks.TIMELINE_PER_PAGE)
    text, shown = incident_blocks.timeline_page(incident, entries, command.page, total)
    reply.respond(text=text, blocks=shown, replace_original=True)


def declare_from_form(services: Services, command: DeclareFromForm, reply: Reply) -> None:
    incidents.declare(services, title=command.title, severity=command.severity, category=command.category,
                      description=command.description, private=command.private, declared_by=command.user,
                      origin_channel=command.origin_channel, dedup_key=command.key)


def answer_mention(services: Services, command: AnswerMention, reply: Reply) -> None:
    """People @-mention the bot when they do not know the commands: point them there."""
    reply.say(text="Try /incident help",
              blocks=[blocks.section(f"Hi {blocks.user(command.user)}: I work through slash commands. "
                                     "`/incident help` lists them; `/incident declare &lt;title&gt;` starts an "
                                     "incident.")])


def pin(services: Services, command: PinMessage, reply: Reply) -> None:
    timeline.pin(services, channel=command.channel, ts=command.ts, reactor=command.user, reaction=command.reaction)


def unpin(services: Services, command: UnpinMessage, reply: Reply) -> None:
    timeline.unpin(services, channel=command.channel, ts=command.ts, reaction=command.reaction)


def register(routes: Routes) -> None:
    for command, run in ((Declare, declare), (ShowStatus, status), (ListIncidents, listing),
                         (SetSeverity, set_severity), (SetCategory, set_category), (ChangePhase, change_phase),
                         (Resolve, resolve), (Cancel, cancel), (Close, close), (Reopen, reopen),
                         (AssignRole, assign_role), (ShowRoles, show_roles), (AddNote, note), (PostUpdate, update),
                         (ShowTimeline, show_timeline), (ShowFindings, show_findings), (ShowStats, show_stats),
                         (ShowReport, show_report),
                         (ListDrills, list_drills), (StartDrill, start_drill), (EndDrill, end_drill),
                         (JoinIncident, join), (ShowTimelinePage, timeline_page),
                         (DeclareFromForm, declare_from_form), (AnswerMention, answer_mention),
                         (PinMessage, pin), (UnpinMessage, unpin)):
        routes.add(command, run)
