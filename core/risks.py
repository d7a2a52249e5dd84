"""Settings that widen who may do what, named by `check-config` so a team sees what it
turned on (or left open). Each line names the setting and what it lets happen."""

from __future__ import annotations

from core.communications.config import warnings as communications_warnings
from core.findings.config import intake_warnings


def risky_settings(config) -> list[str]:
    found: list[str] = []
    if not config.access.responders:
        found.append("access.responders is empty: every member of the Slack workspace may declare incidents, "
                     "triage findings and request containment. List your responders (users U… or groups S…).")
    approvers = config.containment.approvers
    if not (approvers.default or approvers.actions or approvers.severities):
        found.append("containment.approvers is empty: any responder other than the requester may approve "
                     "containment. Name approvers (default, per action or per severity).")
    if config.containment.auto_approve:
        found.append("containment.auto_approve runs " + ", ".join(config.containment.auto_approve)
                     + " without a second person's approval.")
    if config.slack.team_id is None:
        found.append("slack.team_id is not set: requests signed for this app are accepted from every workspace "
                     "it is installed in. Set it to your workspace (T…) or Enterprise Grid organization (E…).")
    found += config.evidence.warnings()
    found += intake_warnings(config.findings.intake)
    found += config.server.warnings()
    found += communications_warnings(config.communications)
    return found
