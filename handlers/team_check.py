"""Only the configured workspace may drive the bot (`slack.team_id`).

Every workspace that installs the same Slack app signs its requests with the same signing
secret, so a valid signature does not say whose workspace a request comes from: with the
app installed elsewhere (a distributed app, a test workspace, an org-wide install), members
there could declare incidents or press Approve here. When slack.team_id is set, a request
whose workspace (team_id / team.id) or Enterprise Grid org (enterprise_id / enterprise.id)
is not that id gets 403 and reaches no listener. Unset: every team is accepted (as before)."""

from __future__ import annotations

import logging
from typing import Any, Iterable

from slack_bolt import BoltResponse

from core.services import Services

log = logging.getLogger("firebreak.http")


def request_teams(body: dict[str, Any]) -> set[str]:
    """The workspace and org ids a Slack request says it comes from (top level only: a
    user's own team in a shared channel does not count)."""
    found: Iterable[Any] = (body.get("team_id"), body.get("enterprise_id"),
                            (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else None,
                            (body.get("enterprise") or {}).get("id") if isinstance(body.get("enterprise"), dict)
                            else None)
    return {value for value in found if isinstance(value, str) and value}


def only_configured_team(services: Services):
    """Global middleware: 403 for a request from any workspace but slack.team_id (when set)."""
    wanted = services.config.slack.team_id

    def middleware(body: dict, next):  # noqa: A002 - Bolt injects `next` by name
        if wanted is None:
            return next()
        teams = request_teams(body)
        if wanted in teams:
            return next()
        services.telemetry.rejected_requests.labels(reason="team").inc()
        log.warning("refused a Slack request from workspace %s: slack.team_id is %s",
                    ", ".join(sorted(teams)) or "(none named)", wanted)
        return BoltResponse(status=403, body='{"error": "this workspace may not use this app"}',
                            headers={"content-type": "application/json"})

    return middleware
