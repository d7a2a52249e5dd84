"""The incident domain's typed commands: what its listeners enqueue and its work runs.

One model per unit of work; each carries the acting user and team (Command) and only what
its work needs. Text is stored as the person typed it (Slack's escaping undone)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.incidents.target import Target
from handlers.jobs.command import Command


# ------------------------------------------------------------------ /incident
class Declare(Command):
    route = "incident.declare"
    title: str
    severity: str | None = None
    private: bool | None = None
    channel: str | None = None  # where it was declared: the announcement is answered there
    key: str  # the Slack act: a retried job declares nothing twice


@dataclass(frozen=True)
class DeclareForm:
    """`/incident declare [private|public]`: the ack opens the declare form (no job), with
    the channel kind typed chosen in it."""

    channel: str | None
    trigger_id: str
    private: bool | None = None


class ShowStatus(Command):
    route = "incident.status"
    target: Target


class ListIncidents(Command):
    route = "incident.list"
    open_only: bool = True
    severity: str | None = None


class SetSeverity(Command):
    route = "incident.severity"
    target: Target
    severity: str


class SetCategory(Command):
    route = "incident.category"
    target: Target
    category: str


class ChangePhase(Command):
    route = "incident.phase"
    target: Target
    phase: str


class Resolve(Command):
    route = "incident.resolve"
    target: Target
    false_positive: bool = False
    reason: str | None = None


class Cancel(Command):
    route = "incident.cancel"
    target: Target
    reason: str
    reason_if_here: str | None = None  # the reason when the bare number before it is its first word


class Close(Command):
    route = "incident.close"
    target: Target
    confirmed: bool = False


class Reopen(Command):
    route = "incident.reopen"
    target: Target


class AssignRole(Command):
    route = "incident.role"
    target: Target
    role: str
    assignee: str


class ShowRoles(Command):
    route = "incident.roles"
    target: Target


class AddNote(Command):
    route = "incident.note"
    target: Target
    text: str
    text_if_here: str | None = None


class PostUpdate(Command):
    route = "incident.update"
    target: Target
    text: str
    text_if_here: str | None = None


class ShowTimeline(Command):
    route = "incident.timeline"
    target: Target
    page: int = 1


class ShowFindings(Command):
    route = "incident.findings"
    target: Target


class ShowStats(Command):
    route = "incident.stats"
    days: int
    drills: bool = False


class ShowReport(Command):
    """`/incident report [2026-Q4|2026-11]`: the period as parsed in the ack (its label; "":
    the month just ended by the worker's clock)."""

    route = "incident.report"
    period: str = ""
    channel: str


class ListDrills(Command):
    route = "drill.list"


class StartDrill(Command):
    route = "drill.start"
    scenario: str
    channel: str | None = None


class EndDrill(Command):
    route = "drill.end"
    channel: str | None = None
    ref: str | None = None


# ------------------------------------------------------------------ buttons, the form, events
class JoinIncident(Command):
    route = "incident.join"
    ref: str


class ShowTimelinePage(Command):
    route = "incident.timeline_page"
    ref: str
    page: int = 1


class DeclareFromForm(Command):
    route = "incident.declare_form"
    title: str
    severity: str
    category: str
    description: str = ""
    private: bool = False
    origin_channel: str | None = None
    key: str


class AnswerMention(Command):
    route = "incident.mention"


class PinMessage(Command):
    route = "timeline.pin"
    channel: str
    ts: str
    reaction: str


class UnpinMessage(Command):
    route = "timeline.unpin"
    channel: str
    ts: str
    reaction: str
