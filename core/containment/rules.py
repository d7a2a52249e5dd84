"""Who may request and who may approve a containment action.

Decided in core so buttons, commands and any future scheduler obey one rule: requesters
are responders on the configured list; approvers are someone else, on every approver
list that applies to the action and the incident's severity."""

from __future__ import annotations

from core.access import Directory, is_responder
from core.containment.config import ContainmentConfig
from core.errors import PermissionDenied
from core.mentions import people


def require_requester(cfg: ContainmentConfig, responders: list[str], user: str,
                      directory: Directory) -> None:
    if not is_responder(user, responders, directory):
        raise PermissionDenied("You are not on Firebreak's responder list, so you cannot request containment. "
                               "Ask an administrator to add you (access.responders).")
    if not is_responder(user, cfg.requesters, directory):
        raise PermissionDenied("You may not request containment actions: you are not in containment.requesters.")


def approver_lists(cfg: ContainmentConfig, action: str, severity: str) -> list[list[str]]:
    """The lists an approver must be on; [] means any responder other than the requester."""
    lists = [ids for ids in (cfg.approvers.actions.get(action), cfg.approvers.severities.get(severity)) if ids]
    if lists:
        return lists
    return [cfg.approvers.default] if cfg.approvers.default else []


def require_approver(cfg: ContainmentConfig, responders: list[str], *, approver: str, requester: str,
                     action: str, severity: str, directory: Directory) -> None:
    if approver == requester:
        raise PermissionDenied("You requested this action, so someone else must approve it (two-person rule).")
    if not is_responder(approver, responders, directory):
        raise PermissionDenied("You are not on Firebreak's responder list, so you cannot approve containment.")
    for allowed in approver_lists(cfg, action, severity):
        if not is_responder(approver, allowed, directory):
            who = people(allowed)
            raise PermissionDenied(f"You may not approve {action} on a {severity} incident; approvers: {who}.",
                                   mentions=tuple(allowed))
