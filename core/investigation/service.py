"""Answering an `/investigate` question: read-only, no approval, on the incident's timeline."""

from __future__ import annotations

from datetime import timedelta

from core import incidents
from core.access import require_responder
from core.errors import FirebreakError
from core.investigation.model import Answer, Question
from core.model import Incident
from core.services import Services


def investigate(services: Services, *, actor: str, channel: str | None,
                question: Question) -> tuple[Answer, Incident | None]:
    """Look up the subject's CloudTrail events; record the query (parameters and result count)
    on the incident when it is asked in or for one."""
    require_responder(actor, services.config.access.responders, services.directory)
    incident = _incident(services, actor, channel, question)
    if services.event_history is None:
        raise FirebreakError("Investigation is not available in this process (no CloudTrail access configured).")
    end = services.clock.now()
    start = end - timedelta(hours=question.hours)
    region = question.region or services.config.aws.default_region
    events, truncated = services.event_history.lookup(question, start=start, end=end, account=question.account,
                                                      region=region)
    answer = Answer(question, question.account, region, start, end, events, truncated)
    if incident is not None:
        services.incidents.add_timeline(
            incident.id, kind="investigation", actor=actor, at=end,
            text=(f"Investigated {question.subject} {question.value} over {question.hours} h in "
                  f"{question.account or 'Firebreak’s own account'}/{region}: {len(events)} event(s)"
                  + (" (more not read)" if truncated else "")),
            data={"subject": question.subject, "value": question.value, "hours": question.hours,
                  "account": question.account, "region": region, "events": len(events), "truncated": truncated})
    return answer, incident


def _incident(services: Services, actor: str, channel: str | None, question: Question) -> Incident | None:
    if question.incident:
        return incidents.find(services, actor=actor, channel=channel, ref=question.incident)
    return services.incidents.by_channel(channel) if channel else None
