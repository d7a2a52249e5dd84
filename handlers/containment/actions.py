"""The request cards' Approve / Deny buttons and the Deny form, and the requests made from a
playbook step's button or a finding's Contain… menu."""

from __future__ import annotations

from core.errors import UsageError
from handlers.containment.commands import (AskDenyReason, ContainFromFinding, ContainFromPlaybook, Decide,
                                           DecideSequencePlan)
from handlers.jobs.intake import Intake
from handlers.jobs.origin import acting, channel_of


def _number(value: str | None) -> int:
    if not (value or "").isdigit():
        raise UsageError("That button is out of date; use the latest containment message.")
    return int(value)


def approve_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: Decide(**acting(body), request=_number(action.get("value")), approve=True))


def deny_pressed(ack, body, action, intake: Intake) -> None:
    """Deny opens a short form for the (optional) reason; the form's submission denies."""
    intake.press(ack, body, lambda: AskDenyReason(**acting(body), request=_number(action.get("value"))))


def deny_submitted(ack, body, view, intake: Intake) -> None:
    values = ((view.get("state") or {}).get("values") or {}).get("reason", {}).get("reason") or {}
    intake.press(ack, body, lambda: Decide(**acting(body), request=_number(view.get("private_metadata", "")),
                                           approve=False, note=values.get("value") or ""))


def from_playbook_pressed(ack, body, action, intake: Intake) -> None:
    """A playbook's contain step, requested with its button."""
    ref, _, step = (action.get("value") or "").partition(":")
    intake.press(ack, body, lambda: ContainFromPlaybook(**acting(body), ref=ref, step=step,
                                                        key=f"slack:{body.get('trigger_id')}"))


def from_finding_chosen(ack, body, action, intake: Intake) -> None:
    """The "Contain…" menu of a finding that belongs to an incident."""

    def parse() -> ContainFromFinding:
        pk, _, index = ((action.get("selected_option") or {}).get("value") or "").partition(":")
        if not (pk.isdigit() and index.isdigit()):
            raise UsageError("That menu entry no longer matches the finding; use /contain in the incident channel.")
        return ContainFromFinding(**acting(body), finding=int(pk), choice=int(index),
                                  key=f"slack:{body.get('trigger_id')}")

    intake.press(ack, body, parse)


def _plan_decision(body: dict, action: dict, approve: bool) -> DecideSequencePlan:
    container = body.get("container") or {}
    channel = container.get("channel_id") or channel_of(body)
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        raise UsageError("That button is out of date; use `/contain sequence` again.")
    return DecideSequencePlan(**acting(body), incident=_number(action.get("value")), approve=approve,
                              card_channel=channel, card_ts=ts)


def plan_approve_pressed(ack, body, action, intake: Intake) -> None:
    """An attack sequence's containment plan: one approval for every waiting step."""
    intake.press(ack, body, lambda: _plan_decision(body, action, True))


def plan_deny_pressed(ack, body, action, intake: Intake) -> None:
    intake.press(ack, body, lambda: _plan_decision(body, action, False))
