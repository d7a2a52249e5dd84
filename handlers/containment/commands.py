"""The response engine's typed commands (`/contain`, `/evidence`, `/remediate`, the request
cards' Approve / Deny, a playbook step's and a finding's requests). The text's own grammar is
core's (core.containment.parse): `parsed` is core's typed command, checked in the ack."""

from __future__ import annotations

from core.containment.parse import ContainCommand
from handlers.jobs.command import Command


class RequestAction(Command):
    """File a request (`/contain isolate-instance i-…`) or the undo of one."""

    route = "response.request"
    parsed: ContainCommand
    channel: str | None = None
    key: str  # the Slack act: a retried job files nothing twice


class ShowRequests(Command):
    """`/contain status`: the incident's requests of the family."""

    route = "response.status"
    parsed: ContainCommand
    channel: str | None = None


class ShowEvidence(Command):
    """`/evidence list`: the incident's evidence manifest (chain of custody)."""

    route = "evidence.list"
    parsed: ContainCommand
    channel: str | None = None


class Decide(Command):
    """Approve (the card's button) or deny (the Deny form, with its optional reason)."""

    route = "response.decide"
    request: int
    approve: bool
    note: str | None = None


class AskDenyReason(Command):
    """The card's Deny button: a short form for the (optional) reason."""

    route = "response.deny_form"
    opens_form = True
    request: int


class ContainFromPlaybook(Command):
    route = "response.from_playbook"
    ref: str
    step: str
    key: str


class ContainFromFinding(Command):
    """An entry of a linked finding's Contain… menu."""

    route = "response.from_finding"
    finding: int
    choice: int
    key: str


class ProposeSequencePlan(Command):
    """`/contain sequence`: one plan across the incident's attack sequence targets."""

    route = "response.sequence_plan"
    incident: str | None = None
    dry_run: bool = False
    channel: str | None = None


class DecideSequencePlan(Command):
    """The plan card's Approve plan / Deny plan: every waiting step at once; the card is edited
    in place as the steps run."""

    route = "response.sequence_plan_decide"
    incident: int
    approve: bool
    card_channel: str
    card_ts: str
