"""`/incident`: one table of every subcommand — its usage, what it does, and the parser of
its arguments into a typed command — in the order `/incident help` lists them.

Inside an incident channel a subcommand acts on that incident; elsewhere it names one
(`/incident status 42`, handlers.incidents.target). The parsers only read the text (and
the configured severities): permissions and state rules are core's, in the work."""

from __future__ import annotations

import re

from core.errors import UsageError
from core.scheduling import stats
from core.scheduling.period import parse_period
from handlers.communications import subcommands as comms
from handlers.communications.commands import ShowStakeholders
from handlers.incidents.commands import (AddNote, AssignRole, Cancel, ChangePhase, Close, Declare, DeclareForm,
                                         EndDrill, ListDrills, ListIncidents, PostUpdate, Reopen, Resolve,
                                         SetCategory, SetSeverity, ShowFindings, ShowRoles, ShowReport, ShowStats,
                                         ShowStatus, ShowTimeline, StartDrill)
from handlers.incidents.target import about, aim
from handlers.jobs.command import Command
from handlers.playbooks import subcommands as follow_through
from handlers.playbooks.commands import ListActionItems
from handlers.postmortems.commands import OpenPostmortemForm
from handlers.slash import SlashTable, Sub, Words
from handlers.slack_text import from_slack, user_id

SEVERITY_SHAPED = re.compile(r"^(sev|p)[-_.]?\d+$", re.IGNORECASE)
SEVERITY_WORDS = ("sev", "severity", "p", "priority")  # `sev 1`: a severity typed in two words
VISIBILITY = {"private": True, "public": False}
FALSE_POSITIVE_WORDS = ("false-positive", "false_positive", "fp")


def declare(sub: Sub, words: Words) -> Declare | DeclareForm:
    """`[private|public] [severity] <title>` in either order; a word shaped like a severity
    that is not one (`sev0`, `sev-1`, `sev 1`) is an error, not the start of the title.
    Without a title or severity (`declare`, `declare private`): the form."""
    asked = words.asked
    if not words.args:
        return DeclareForm(asked.channel, asked.trigger_id or "")
    severities = asked.config.incidents.severity_names
    rest, severity, private = list(words.args), None, None
    while rest:
        word = rest[0].lower()
        if word in VISIBILITY and private is None:
            private = VISIBILITY[word]
        elif word in severities and severity is None:
            severity = word
        elif severity is None and (SEVERITY_SHAPED.match(word) or _split_severity(rest)):
            typed = " ".join(rest[:2]) if _split_severity(rest) else rest[0]
            raise UsageError(f"“{typed[:20]}” is not a severity; use one of {', '.join(severities)} "
                             f"(e.g. `/incident declare {severities[0]} <title>`).", sub.usage)
        else:
            break
        rest = rest[1:]
    if not rest and severity is None:  # `declare private`: the form, with the channel kind chosen
        return DeclareForm(asked.channel, asked.trigger_id or "", private=private)
    if not rest:
        raise UsageError("An incident needs a title.", sub.usage)
    return Declare(**asked.acting, title=from_slack(" ".join(rest)), severity=severity, private=private,
                   channel=asked.channel, key=f"slack:{asked.trigger_id}")


def _split_severity(words: list[str]) -> bool:
    """`sev 1`, `p 2`: a severity word and a number as two words."""
    return len(words) > 1 and words[0].lower() in SEVERITY_WORDS and words[1].lstrip("#").isdigit()


def listing(sub: Sub, words: Words) -> ListIncidents:
    filters = [a.lower() for a in words.args]
    unknown = [w for w in filters if w not in ("open", "all", *words.asked.config.incidents.severity_names)]
    if unknown:
        raise UsageError(f"Unknown filter “{unknown[0][:40]}”.", sub.usage)
    return ListIncidents(**words.asked.acting, open_only="all" not in filters,
                         severity=next((w for w in filters if w not in ("open", "all")), None))


def changing(model: type, field: str):
    """`severity|category|phase [id] <value>`: the value is checked by core against the configuration."""

    def parse(sub: Sub, words: Words) -> Command:
        aimed = aim(sub, words, min_args=1)
        if not aimed.args:
            raise UsageError("Missing argument.", sub.usage)
        return model(**words.asked.acting, target=aimed.target, **{field: aimed.args[0]})

    return parse


def resolve(sub: Sub, words: Words) -> Resolve:
    aimed = aim(sub, words)
    if not aimed.args:
        return Resolve(**words.asked.acting, target=aimed.target)
    if aimed.args[0].lower() not in FALSE_POSITIVE_WORDS:
        raise UsageError(f"“{aimed.args[0][:40]}” is not a kind of resolution; the only one is `false-positive`.",
                         sub.usage)
    reason = aimed.rest.split(None, 1)[1] if len(aimed.args) > 1 else ""
    return Resolve(**words.asked.acting, target=aimed.target, false_positive=True, reason=from_slack(reason))


def cancel(sub: Sub, words: Words) -> Cancel:
    aimed = aim(sub, words, free_text=True, min_args=1)
    return Cancel(**words.asked.acting, target=aimed.target, reason=from_slack(aimed.rest),
                  reason_if_here=from_slack(words.rest) if aimed.target.ref_may_be_text else None)


def close(sub: Sub, words: Words) -> Close:
    aimed = aim(sub, words)
    confirmed = [a.lower() for a in aimed.args] == ["confirm"]
    if aimed.args and not confirmed:
        raise UsageError(f"“{aimed.args[0][:40]}” is not understood here.", sub.usage)
    return Close(**words.asked.acting, target=aimed.target, confirmed=confirmed)


def reopen(sub: Sub, words: Words) -> Reopen:
    return Reopen(**words.asked.acting, target=aim(sub, words).target)


def role(sub: Sub, words: Words) -> AssignRole:
    aimed = aim(sub, words, min_args=2)
    if len(aimed.args) < 2:
        raise UsageError("Name the person with an @-mention.", sub.usage)
    assignee = user_id(aimed.args[1])
    if not assignee:
        raise UsageError(f"“{aimed.args[1][:40]}” is not someone Slack recognised: pick the person from Slack's "
                         "@-mention list (it turns blue), or check they are in this workspace.", sub.usage)
    return AssignRole(**words.asked.acting, target=aimed.target, role=aimed.args[0], assignee=assignee)


def text_of(model: type):
    """`note|update [id] <text>`: the text, and its reading with a bare number first as its own."""

    def parse(sub: Sub, words: Words) -> Command:
        aimed = aim(sub, words, free_text=True, min_args=1)
        return model(**words.asked.acting, target=aimed.target, text=from_slack(aimed.rest),
                     text_if_here=from_slack(words.rest) if aimed.target.ref_may_be_text else None)

    return parse


def timeline(sub: Sub, words: Words) -> ShowTimeline:
    """`[id] [page N]`: a number alone names the incident, as everywhere in `/incident`;
    a page is always said as `page N`, so the two are never confused."""
    aimed = aim(sub, words)
    args = [a.lower() for a in aimed.args]
    if not args:
        return ShowTimeline(**words.asked.acting, target=aimed.target, page=1)
    if args[0] == "page" and len(args) == 2 and args[1].isdigit() and int(args[1]) >= 1:
        return ShowTimeline(**words.asked.acting, target=aimed.target, page=int(args[1]))
    if args[0].isdigit() and len(args) == 1:
        raise UsageError(f"For page {args[0]}, say `timeline page {args[0]}`; an incident is named first "
                         f"(`timeline #{aimed.target.ref.lstrip('#') if aimed.target.ref else 42}`).", sub.usage)
    raise UsageError(f"“{aimed.args[0][:40]}” is neither an incident nor a page: use `timeline #42` for "
                     "incident 42, `timeline page 2` for the second page.", sub.usage)


def stats_window(sub: Sub, words: Words) -> ShowStats:
    days = stats.parse_days(words.args[0] if words.args else None)
    return ShowStats(**words.asked.acting, days=int(days), drills=bool(getattr(days, "drills", False)))


def report_period(sub: Sub, words: Words) -> ShowReport:
    """No period: the month just ended (what the monthly digest posts), decided by the worker's clock."""
    if len(words.args) > 1:
        raise UsageError("Give one period: a quarter like 2026-Q4 or a month like 2026-11.", sub.usage)
    if not words.asked.channel:
        raise UsageError("Run this in a channel: the report is posted there.", sub.usage)
    label = parse_period(words.args[0], usage=sub.usage).label if words.args else ""
    return ShowReport(**words.asked.acting, period=label, channel=words.asked.channel)


def drill(sub: Sub, words: Words) -> Command:
    args, asked = words.args, words.asked
    if not args or args[0] == "list":
        return ListDrills(**asked.acting)
    if args[0] == "end":
        return EndDrill(**asked.acting, channel=asked.channel, ref=args[1] if args[1:] else None)
    return StartDrill(**asked.acting, scenario=args[0], channel=asked.channel)


INCIDENT = SlashTable("Incident commands", (
    Sub("help", "/incident help", "show this list"),
    Sub("declare", "/incident declare [private] [severity] <title>",
        "declare an incident (without text: a form with severity, category, description)", declare),
    Sub("status", "/incident status [id]", "age, severity, category, phase and roles", about(ShowStatus)),
    Sub("list", "/incident list [open|all] [severity]", "incidents, newest first", listing),
    Sub("severity", "/incident severity [id] <severity>", "change the severity", changing(SetSeverity, "severity")),
    Sub("category", "/incident category [id] <category>", "change the category", changing(SetCategory, "category")),
    Sub("phase", "/incident phase [id] <phase>", "move to another phase", changing(ChangePhase, "phase")),
    Sub("resolve", "/incident resolve [id] [false-positive [reason]]",
        "move to post-incident (false-positive: no real incident, left out of the metrics)", resolve),
    Sub("cancel", "/incident cancel [id] <reason>",
        "end an incident that should not exist (a test, a duplicate): closed, left out of the metrics", cancel),
    Sub("close", "/incident close [id] [confirm]", "close after the post-incident review (warns about open items)",
        close),
    Sub("reopen", "/incident reopen [id]", "reopen a resolved or closed incident", reopen),
    Sub("role", "/incident role [id] <role> @user", "assign a role (commander, scribe, ...)", role),
    Sub("roles", "/incident roles [id]", "who holds which role", about(ShowRoles)),
    Sub("note", "/incident note [id] <text>", "add a note to the timeline", text_of(AddNote)),
    Sub("update", "/incident update [id] <text>", "post a status update here and in the announcement channel",
        text_of(PostUpdate)),
    Sub("timeline", "/incident timeline [#id] [page N]", "post the timeline in this channel", timeline),
    Sub("playbook", "/incident playbook [id] [name]", "show the playbook checklist, or attach a playbook",
        follow_through.playbook),
    Sub("action", "/incident action [id] <text> @owner [due:YYYY-MM-DD]",
        "record an action item; `action edit|assign|due|delete <#> …` changes one", follow_through.action),
    Sub("actions", "/incident actions [id]", "list action items, with a Complete button each",
        about(ListActionItems)),
    Sub("postmortem", "/incident postmortem [id]", "write the post-incident review; the document is shared here",
        about(OpenPostmortemForm)),
    Sub("findings", "/incident findings [id]", "the findings linked to the incident", about(ShowFindings)),
    Sub("stats", "/incident stats [30d]",
        "response times (detect, acknowledge, evidence, contain, recover) and SLA breaches", stats_window),
    Sub("report", "/incident report [2026-Q4|2026-11]",
        "the IR program report for a quarter or month (default: last month), posted here with charts",
        report_period),
    Sub("drill", "/incident drill <scenario> | list | end", "run a response drill (game day); end it for the scorecard",
        drill),
    Sub("notify", "/incident notify [id] <audience> [text]",
        "a stakeholder update (a form pre-filled from the incident)", comms.notify),
    Sub("stakeholders", "/incident stakeholders [id]",
        "who has been told what, who is still due; pages; clocks; AWS cases", about(ShowStakeholders)),
    Sub("page", "/incident page [id] <audience|@user> [message]", "page an audience's on-call (PagerDuty, webhook)",
        comms.page),
    Sub("notified", "/incident notified [id] <regime>", "record that a regulatory notification was made",
        comms.notified),
    Sub("determined", "/incident determined [id] <regime>",
        "record the determination that starts a regulatory clock (e.g. materiality)", comms.determined),
    Sub("aws-support", "/incident aws-support [id] [--severity low|normal|high|urgent|critical] [text]",
        "open an AWS Support case with the incident's summary; `aws-support reply <text>` answers it",
        comms.aws_support),
    Sub("aws-ir", "/incident aws-ir [id] [text]", "open an AWS Security Incident Response case", comms.aws_ir),
))
