"""`/incident` subcommands after the ack: parse typed arguments, call core, render the answer.

Inside an incident channel a subcommand acts on that incident; elsewhere it names one
(`/incident status 42`). Permission and state rules live in core, not here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from core.incidents import service as incidents, lifecycle, roles
from core.communications import aws_cases
from core.access import require_responder
from core.errors import UsageError
from core.services import Services
from handlers import blocks, ids
from handlers.incidents.views import open_declare_modal
from handlers.middleware import accept, once, refuse
from handlers.incidents import blocks as incident_blocks
from handlers.communications.commands import CommunicationsCommands
from handlers.playbooks.commands import ReviewCommands
from handlers.slack_text import from_slack, user_id

REF = re.compile(r"^#?\d{1,9}$")
# Subcommands whose only argument is the incident: anything else after them is a mistake.
ID_ONLY = {"status", "roles", "actions", "postmortem", "findings", "stakeholders"}
FALSE_POSITIVE_WORDS = ("false-positive", "false_positive", "fp")


@dataclass(frozen=True)
class Sub:
    usage: str
    description: str
    min_args: int = 0
    # For subcommands that take free text (note, update), a leading bare number is text,
    # not an incident number, when the command runs inside an incident channel.
    free_text: bool = False

    def check(self, args: list[str]) -> str | None:
        """A problem with the argument count, caught before the ack."""
        given = len(args) - (1 if args and args[0].startswith("#") and REF.match(args[0]) else 0)
        if given < self.min_args:
            return f"`{self.usage}` needs more: {self.description}."
        return None


INCIDENT_SUBCOMMANDS: dict[str, Sub] = {
    "help": Sub("/incident help", "show this list"),
    "declare": Sub("/incident declare [private] [severity] <title>",
                   "declare an incident (without text: a form with severity, category, description)"),
    "status": Sub("/incident status [id]", "age, severity, category, phase and roles"),
    "list": Sub("/incident list [open|all] [severity]", "incidents, newest first"),
    "severity": Sub("/incident severity [id] <severity>", "change the severity", 1),
    "category": Sub("/incident category [id] <category>", "change the category", 1),
    "phase": Sub("/incident phase [id] <phase>", "move to another phase", 1),
    "resolve": Sub("/incident resolve [id] [false-positive [reason]]",
                   "move to post-incident (false-positive: no real incident, left out of the metrics)"),
    "cancel": Sub("/incident cancel [id] <reason>",
                  "end an incident that should not exist (a test, a duplicate): closed, left out of the metrics",
                  1, free_text=True),
    "close": Sub("/incident close [id] [confirm]", "close after the post-incident review (warns about open items)"),
    "reopen": Sub("/incident reopen [id]", "reopen a resolved or closed incident"),
    "role": Sub("/incident role [id] <role> @user", "assign a role (commander, scribe, ...)", 2),
    "roles": Sub("/incident roles [id]", "who holds which role"),
    "note": Sub("/incident note [id] <text>", "add a note to the timeline", 1, free_text=True),
    "update": Sub("/incident update [id] <text>", "post a status update here and in the announcement channel",
                  1, free_text=True),
    "timeline": Sub("/incident timeline [id] [page]", "post the timeline in this channel"),
    "playbook": Sub("/incident playbook [id] [name]", "show the playbook checklist, or attach a playbook"),
    "action": Sub("/incident action [id] <text> @owner [due:YYYY-MM-DD]",
                  "record an action item; `action edit|assign|due|delete <#> …` changes one", 1, free_text=True),
    "actions": Sub("/incident actions [id]", "list action items, with a Complete button each"),
    "postmortem": Sub("/incident postmortem [id]", "write the post-incident review; the document is shared here"),
    "findings": Sub("/incident findings [id]", "the findings linked to the incident"),
    "stats": Sub("/incident stats [30d]", "response times (detect, acknowledge, evidence, contain, recover) and SLA breaches"),
    "drill": Sub("/incident drill <scenario> | list | end", "run a response drill (game day); end it for the scorecard"),
    "notify": Sub("/incident notify [id] <audience> [text]", "a stakeholder update (a form pre-filled from the incident)",
                  1),
    "stakeholders": Sub("/incident stakeholders [id]",
                        "who has been told what, who is still due; pages; clocks; AWS cases"),
    "page": Sub("/incident page [id] <audience|@user> [message]", "page an audience's on-call (PagerDuty, webhook)",
                1),
    "notified": Sub("/incident notified [id] <regime>", "record that a regulatory notification was made", 1),
    "determined": Sub("/incident determined [id] <regime>",
                      "record the determination that starts a regulatory clock (e.g. materiality)", 1),
    "aws-support": Sub("/incident aws-support [id] [--severity low|normal|high|urgent|critical] [text]",
                       "open an AWS Support case with the incident's summary; `aws-support reply <text>` answers it",
                       free_text=True),
    "aws-ir": Sub("/incident aws-ir [id] [text]", "open an AWS Security Incident Response case", free_text=True),
}


@dataclass(frozen=True)
class Parsed:
    sub: str
    args: list[str]
    rest: str  # the text after the subcommand, as Slack sent it
    problem: str | None = None


def parse(text: str, known) -> Parsed:
    """Split `text` into a known subcommand and its words; a problem instead of raising."""
    stripped = (text or "").strip()
    words = stripped.split()
    if not words:
        return Parsed("help", [], "")
    sub = words[0].lower()
    if sub not in known:
        return Parsed("help", [], "", problem=f"Unknown subcommand “{words[0][:40]}”.")
    return Parsed(sub, words[1:], stripped[len(words[0]):].strip())


@dataclass(frozen=True)
class Declare:
    severity: str | None
    private: bool | None
    title: str


SEVERITY_SHAPED = re.compile(r"^(sev|p)\d+$", re.IGNORECASE)
VISIBILITY = {"private": True, "public": False}


def parse_declare(rest: str, severities: list[str]) -> Declare:
    """`[private|public] [severity] <title>` in either order; a word shaped like a severity
    that is not one is an error, not the start of the title."""
    words, severity, private = rest.split(), None, None
    while words:
        word = words[0].lower()
        if word in VISIBILITY and private is None:
            private = VISIBILITY[word]
        elif word in severities and severity is None:
            severity = word
        elif SEVERITY_SHAPED.match(word) and severity is None:
            raise UsageError(f"“{words[0][:20]}” is not a severity; use one of {', '.join(severities)}.",
                             INCIDENT_SUBCOMMANDS["declare"].usage)
        else:
            break
        words = words[1:]
    if not words:
        raise UsageError("An incident needs a title.", INCIDENT_SUBCOMMANDS["declare"].usage)
    return Declare(severity, private, " ".join(words))


def check_aws_support(rest: str) -> str | None:
    """A problem with `/incident aws-support`'s options or reply, caught before the ack
    (a leading incident number is left to the work after it)."""
    words = rest.split()
    if words and REF.match(words[0]):
        rest = rest.strip()[len(words[0]):]
    try:
        aws_cases.parse_support(rest)
    except UsageError as exc:
        return exc.message
    return None


def incident_usage() -> list[tuple[str, str]]:
    return [(spec.usage, spec.description) for spec in INCIDENT_SUBCOMMANDS.values()]


class IncidentCommands(ReviewCommands, CommunicationsCommands):
    def __init__(self, services: Services, client=None):
        self.services = services
        self.client = client  # for opening forms (views.open)

    def run(self, sub: str, args: list[str], rest: str, command: dict, respond: Callable) -> None:
        getattr(self, "do_" + sub.replace("-", "_"))(args, rest, command, respond)

    # ------------------------------------------------------------------ helpers
    def _target(self, sub: str, args: list[str], rest: str, command: dict):
        """(incident, remaining args, remaining raw text)."""
        channel = command.get("channel_id")
        ref = None
        if args and REF.match(args[0]):
            explicit = args[0].startswith("#")
            here = self.services.incidents.by_channel(channel) if channel else None
            if explicit or not INCIDENT_SUBCOMMANDS[sub].free_text or here is None:
                ref = args[0]
                args = args[1:]
                rest = rest[len(ref):].strip()
        if args and sub in ID_ONLY:
            raise UsageError(f"“{args[0][:40]}” is not an incident number; use e.g. 42 or #42.",
                             INCIDENT_SUBCOMMANDS[sub].usage)
        incident = incidents.find(self.services, actor=command["user_id"], channel=channel, ref=ref)
        return incident, args, rest

    def _done(self, respond, command, incident, text: str) -> None:
        """Confirm privately when the change was made from outside the incident channel."""
        if command.get("channel_id") != incident.channel_id:
            respond(text=text, blocks=[blocks.section(f":white_check_mark: {blocks.escape(text)}")],
                    response_type="ephemeral")

    def _change(self, sub, args, rest, command, respond, decide_with) -> None:
        incident, args, rest = self._target(sub, args, rest, command)
        if not args and sub not in ("resolve", "close", "reopen"):
            raise UsageError("Missing argument.", INCIDENT_SUBCOMMANDS[sub].usage)
        cfg, actor = self.services.config.incidents, command["user_id"]
        incident, entries = incidents.apply(self.services, incident.id,
                                            lambda current, at: decide_with(cfg, current, args, actor, at),
                                            actor=actor)
        self._done(respond, command, incident, f"Incident {incident.label}: {entries[-1].text}")

    # ------------------------------------------------------------------ subcommands
    def do_declare(self, args, rest, command, respond) -> None:
        declared = parse_declare(rest, self.services.config.incidents.severity_names)
        result = incidents.declare(self.services, title=from_slack(declared.title), severity=declared.severity,
                                   private=declared.private, declared_by=command["user_id"],
                                   origin_channel=command.get("channel_id"),
                                   dedup_key=f"slack:{command.get('trigger_id')}")
        if result.created and command.get("channel_id") != result.incident.channel_id:
            text, shown = incident_blocks.announcement(result.incident)
            respond(text=text, blocks=shown[:2], response_type="in_channel")

    def do_status(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("status", args, rest, command)
        text, shown = incident_blocks.status(incident, self.services.config.incidents, self.services.clock.now())
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_list(self, args, rest, command, respond) -> None:
        words = [a.lower() for a in args]
        unknown = [w for w in words if w not in ("open", "all", *self.services.config.incidents.severity_names)]
        if unknown:
            raise UsageError(f"Unknown filter “{unknown[0][:40]}”.", INCIDENT_SUBCOMMANDS["list"].usage)
        severity = next((w for w in words if w not in ("open", "all")), None)
        open_only = "all" not in words
        found = incidents.listed(self.services, command["user_id"], open_only=open_only, severity=severity)
        heading = f"{'Open' if open_only else 'All'} incidents" + (f" of severity {severity}" if severity else "")
        text, shown = incident_blocks.incident_list(found, self.services.clock.now(), heading)
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_severity(self, args, rest, command, respond) -> None:
        self._change("severity", args, rest, command, respond,
                     lambda cfg, cur, a, actor, _at: lifecycle.set_severity(cfg, cur, a[0], actor))

    def do_category(self, args, rest, command, respond) -> None:
        self._change("category", args, rest, command, respond,
                     lambda cfg, cur, a, actor, _at: lifecycle.set_category(cfg, cur, a[0], actor))

    def do_phase(self, args, rest, command, respond) -> None:
        self._change("phase", args, rest, command, respond,
                     lambda cfg, cur, a, actor, at: lifecycle.change_phase(cfg, cur, a[0], actor, at))

    def do_resolve(self, args, rest, command, respond) -> None:
        incident, args, rest = self._target("resolve", args, rest, command)
        false_positive, reason = False, None
        if args:
            if args[0].lower() not in FALSE_POSITIVE_WORDS:
                raise UsageError(f"“{args[0][:40]}” is not a kind of resolution; the only one is `false-positive`.",
                                 INCIDENT_SUBCOMMANDS["resolve"].usage)
            false_positive, reason = True, from_slack(rest.split(None, 1)[1] if len(args) > 1 else "")
        cfg, actor = self.services.config.incidents, command["user_id"]
        incident, entries = incidents.apply(
            self.services, incident.id, lambda current, at: lifecycle.resolve(
                cfg, current, actor, at, false_positive=false_positive, reason=reason), actor=actor)
        self._done(respond, command, incident, f"Incident {incident.label}: {entries[-1].text}")

    def do_cancel(self, args, rest, command, respond) -> None:
        incident, _, rest = self._target("cancel", args, rest, command)
        cfg, actor, reason = self.services.config.incidents, command["user_id"], from_slack(rest)
        incident, entries = incidents.apply(self.services, incident.id,
                                            lambda current, at: lifecycle.cancel(cfg, current, reason, actor, at),
                                            actor=actor)
        self._done(respond, command, incident, f"Incident {incident.label}: {entries[-1].text}")

    def do_close(self, args, rest, command, respond) -> None:
        """Warns about what is still open (action items, checklist steps) unless confirmed."""
        incident, args, rest = self._target("close", args, rest, command)
        confirmed = [a.lower() for a in args] == ["confirm"]
        if args and not confirmed:
            raise UsageError(f"“{args[0][:40]}” is not understood here.", INCIDENT_SUBCOMMANDS["close"].usage)
        left = incidents.unfinished(self.services, incident)
        if left and not confirmed:
            text = (f"Incident {incident.label} still has " + "; ".join(left) + ". Close it anyway with "
                    "`/incident close confirm`, or finish them first (`/incident actions`, `/incident playbook`).")
            return respond(text=text, blocks=[blocks.section(f":warning: {blocks.escape(text)}")],
                           response_type="ephemeral")
        cfg, actor = self.services.config.incidents, command["user_id"]
        incident, entries = incidents.apply(self.services, incident.id,
                                            lambda current, at: lifecycle.close(cfg, current, actor, at), actor=actor)
        self._done(respond, command, incident, f"Incident {incident.label}: {entries[-1].text}")
        incidents.archive_if_configured(self.services, incident)

    def do_reopen(self, args, rest, command, respond) -> None:
        self._change("reopen", args, rest, command, respond,
                     lambda cfg, cur, a, actor, _at: lifecycle.reopen(cfg, cur, actor))

    def do_role(self, args, rest, command, respond) -> None:
        incident, args, _ = self._target("role", args, rest, command)
        if len(args) < 2:
            raise UsageError("Name the person with an @-mention.", INCIDENT_SUBCOMMANDS["role"].usage)
        if not user_id(args[1]):
            raise UsageError(f"“{args[1][:40]}” is not someone Slack recognised: pick the person from Slack's "
                             "@-mention list (it turns blue), or check they are in this workspace.",
                             INCIDENT_SUBCOMMANDS["role"].usage)
        role_name, user = args[0], user_id(args[1])
        cfg, actor = self.services.config.incidents, command["user_id"]
        incident, entries = incidents.apply(self.services, incident.id,
                                            lambda current, _at: roles.assign(cfg, current, role_name, user, actor),
                                            actor=actor)
        if incident.channel_id:
            self.services.chat.invite(incident.channel_id, [user])
        self._done(respond, command, incident, f"Incident {incident.label}: {role_name} assigned")

    def do_roles(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("roles", args, rest, command)
        text, shown = incident_blocks.roles(incident, self.services.config.incidents)
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_note(self, args, rest, command, respond) -> None:
        incident, _, rest = self._target("note", args, rest, command)
        cfg, actor, text = self.services.config.incidents, command["user_id"], from_slack(rest)
        incident, _ = incidents.apply(self.services, incident.id,
                                      lambda current, _at: lifecycle.note(cfg, current, text, actor), actor=actor)
        self._done(respond, command, incident, f"Note added to incident {incident.label}")

    def do_update(self, args, rest, command, respond) -> None:
        incident, _, rest = self._target("update", args, rest, command)
        cfg, actor, text = self.services.config.incidents, command["user_id"], from_slack(rest)
        incident, _ = incidents.apply(self.services, incident.id,
                                      lambda current, at: lifecycle.status_update(cfg, current, text, actor, at),
                                      actor=actor, echo=False)
        self.services.chat.post_status_update(incident, text, actor)
        self._done(respond, command, incident, f"Status update posted for incident {incident.label}")

    def do_timeline(self, args, rest, command, respond) -> None:
        incident, args, _ = self._target("timeline", args, rest, command)
        page = int(args[0]) if args and args[0].isdigit() else 1
        entries, total = self.services.incidents.timeline_page(incident.id, page=page,
                                                               per_page=incident_blocks.TIMELINE_PER_PAGE)
        text, shown = incident_blocks.timeline_page(incident, entries, page, total)
        # Shown to the channel only in the incident's own channel; anywhere else only to you.
        here = command.get("channel_id") == incident.channel_id
        respond(text=text, blocks=shown, response_type="in_channel" if here else "ephemeral")

    def do_findings(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("findings", args, rest, command)
        text, shown = incident_blocks.linked_findings(incident, self.services.repos.findings.linked(incident.id))
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_stats(self, args, rest, command, respond) -> None:
        from core.scheduling import stats

        require_responder(command["user_id"], self.services.config.access.responders, self.services.directory)
        report = stats.build(self.services, stats.parse_days(args[0] if args else None))
        text = stats.render(report)
        respond(text=f"Response metrics, last {report.days} days", response_type="ephemeral",
                blocks=[blocks.section(f"```\n{blocks.escape(part)}\n```") for part in text.split("\n\n")])

    def do_drill(self, args, rest, command, respond) -> None:
        from core.drills import runner as drills

        actor, channel = command["user_id"], command.get("channel_id")
        if not args or args[0] == "list":
            require_responder(actor, self.services.config.access.responders, self.services.directory)
            shown = drills.listing(self.services) or ["No drill scenarios (drills/*.yaml)."]
            respond(text="Drill scenarios", response_type="ephemeral",
                    blocks=[blocks.section(blocks.escape("\n".join(shown)))])
        elif args[0] == "end":
            incident, lines = drills.end(self.services, actor=actor, channel=channel, ref=args[1] if args[1:] else None)
            self._done(respond, command, incident, f"Drill {incident.label} ended: " + "; ".join(lines[1:4]))
        else:
            incident = drills.start(self.services, args[0], actor=actor, origin_channel=channel)
            respond(text=f"Drill started: incident {incident.label}", response_type="ephemeral",
                    blocks=[blocks.section(blocks.escape(f"[DRILL] {args[0]} started as incident {incident.label} "
                                                         f"in #{incident.channel_name}."))])


def register(jobs, services: Services) -> None:
    incident = IncidentCommands(services, jobs.client)
    severities = services.config.incidents.severity_names

    def ack_incident(ack, command, client, context):
        parsed = parse(command.get("text", ""), INCIDENT_SUBCOMMANDS)
        if parsed.sub == "help":
            text, shown = blocks.usage("Incident commands", incident_usage(), parsed.problem)
            return ack(text=text, blocks=shown, response_type="ephemeral")
        spec = INCIDENT_SUBCOMMANDS[parsed.sub]
        if parsed.sub == "declare" and not parsed.args:
            ack()
            return open_declare_modal(client, command["trigger_id"], services, command.get("channel_id"))
        problem = spec.check(parsed.args)
        if parsed.sub == "declare" and not problem:
            try:
                parse_declare(parsed.rest, severities)
            except UsageError as exc:
                problem = exc.message
        if parsed.sub == "aws-support" and not problem:
            problem = check_aws_support(parsed.rest)
        if problem:
            return refuse(ack, problem, spec.usage)
        accept(ack, context, parsed)

    @once(services)
    def run_incident(respond, command, parsed):
        incident.run(parsed.sub, parsed.args, parsed.rest, command, respond)

    jobs.command(ids.COMMAND_INCIDENT, ack_incident, run_incident, parsed=Parsed)
