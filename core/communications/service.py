"""Stakeholder notifications: who is told what, when, and the record of it.

The plan (`communications.rules`) says which audiences hear of a declaration, a severity
change, a status update and a resolution; `/incident notify` sends one by hand. Each
notification is recorded under a natural key before it is sent (an automatic one per
timeline entry and audience, a manual one per Slack act), so a retry sends nothing twice,
and it lands on the incident's timeline: who, to whom, what. A private incident's title,
description and category are withheld from audiences without `may_see_private`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.access import require_responder
from core.communications import rehearsal
from core.communications.config import Audience, CommunicationsConfig
from core.communications.ports import NoticeRecord, StakeholderMessage
from core.errors import UsageError
from core.mentions import person
from core.incidents.model import ACTIVE_PHASES, CANCELLED, Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.incidents.roles import require_role
from core.services import Services

log = logging.getLogger("firebreak.communications")
TEXT_LIMIT = 2000
NOTIFY_USAGE = "/incident notify [id] <audience> [text]"


def plan(services: Services) -> CommunicationsConfig:
    return services.config.communications


def audience(services: Services, name: str) -> Audience:
    found = plan(services).audiences.get(name.lower())
    if found is None:
        names = ", ".join(sorted(plan(services).audiences)) or "none are configured (communications.audiences)"
        raise UsageError(f"Unknown audience “{name[:40]}”; audiences: {names}.", NOTIFY_USAGE)
    return found


def fmt(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def next_update(services: Services, incident: Incident) -> datetime | None:
    """When the next status update is due (the reminder cadence of its severity), if any."""
    every = services.config.scheduling.reminder_every(incident.severity)
    if every is None or incident.phase not in ACTIVE_PHASES:
        return None
    return (incident.last_update_at or incident.declared_at) + every


def phase_word(incident: Incident) -> str:
    if incident.cancelled:
        return "cancelled"
    return "resolved (post-incident review)" if incident.phase == "post-incident" else incident.phase


def compose(services: Services, incident: Incident, name: str, trigger: str, *, text: str = "",
            sender: str | None = None) -> StakeholderMessage:
    """The templated update for this audience, pre-filled from the incident (and redacted for it)."""
    shown = not incident.private or audience(services, name).may_see_private
    severities = {s.name: s.description for s in services.config.incidents.severities}
    impact = f"Severity {incident.severity}" + (f" — {severities[incident.severity]}"
                                                if severities.get(incident.severity) else "")
    if shown:
        headline = f"Incident {incident.label}: {incident.title}"
        what = incident.description or incident.title
        impact += f" · category {incident.category}"
    else:
        headline = f"Private incident {incident.label}"
        what = "Details are shared with the incident's responders only."
    due = next_update(services, incident)
    headline = rehearsal.tagged(incident, headline)
    return StakeholderMessage(incident.id, incident.label, name, trigger, headline, what, impact,
                              phase_word(incident), f"by {fmt(due)}" if due else "", text.strip(), sender,
                              incident.channel_id if shown else None)


@dataclass(frozen=True)
class Sent:
    audience: str
    state: str  # sent | partial | failed | repeated
    targets: tuple[str, ...]
    errors: tuple[str, ...]
    entry: TimelineEntry | None


def send(services: Services, incident: Incident, message: StakeholderMessage, *, key: str) -> Sent:
    """Deliver one message to its audience once per `key`, and record it (ledger and timeline).
    A drill reaches its scenario's test audience only (core/communications/rehearsal.py)."""
    rehearsal.require_reachable(incident, message.audience, "notify")
    repo = services.repos.communications
    cfg = audience(services, message.audience)
    if len(message.text) > TEXT_LIMIT:
        raise UsageError(f"The message is {len(message.text)} characters; the limit is {TEXT_LIMIT}.")
    now = services.clock.now()
    notice_id = repo.claim_notice(key, incident_id=incident.id, audience=message.audience, trigger=message.trigger,
                                  actor=message.sender, text=message.text or message.headline, at=now)
    if notice_id is None:
        return Sent(message.audience, "repeated", (), (), None)
    state, targets, errors = _deliver(services, cfg, message, notice_id, done=(), retries=0,
                                      retry=key.startswith("auto:"))
    return _recorded(services, incident, message, key, state, targets, errors)


def _deliver(services: Services, cfg: Audience, message: StakeholderMessage, notice_id: int, *,
             done: tuple[str, ...] | list[str], retries: int, retry: bool) -> tuple[str, list[str], list[str]]:
    """Send by every way the audience has, except to `done` targets (reached by an earlier
    attempt); record the outcome on the notice (an automatic one's failure with the time of
    its next attempt, see NoticeRetries)."""
    outreach = services.outreach  # a way that is off here raises NotConnected, recorded like any failure
    targets: list[str] = list(done)
    errors: list[str] = []
    channels = [c for c in cfg.slack_channels if c not in done]
    users = [u for u in cfg.slack_users if u not in done]  # a user group's members are skipped one by one
    if channels or users:
        try:
            targets += (outreach.chat.send(message, channels, users, skip=list(done)) if done
                        else outreach.chat.send(message, channels, users))
        except Exception as exc:  # noqa: BLE001 - recorded and shown; the other ways still go
            targets += list(getattr(exc, "delivered", ()))  # those reached before the failure
            errors.append(f"Slack: {getattr(exc, 'message', None) or exc}")
    email = "email:" + cfg.sns_topic_arn.rsplit(":", 1)[-1] if cfg.sns_topic_arn else None
    if cfg.sns_topic_arn and email not in done:
        try:
            outreach.email.publish(cfg.sns_topic_arn, subject(message), message.plain())
            targets.append(email)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"email: {getattr(exc, 'message', None) or exc}")
    state = "sent" if targets and not errors else ("partial" if targets else "failed")
    detail: dict = {"targets": targets, "errors": errors, "retries": retries}
    if errors and retry:
        comms = plan(services)
        if retries < comms.retry_attempts:
            wait = min(3600, comms.retry_seconds * 2 ** retries)
            detail["retry_at"] = (services.clock.now() + timedelta(seconds=wait)).isoformat()
    services.repos.communications.finish_notice(notice_id, state, detail)
    return state, targets, errors


def _recorded(services: Services, incident: Incident, message: StakeholderMessage, key: str, state: str,
              targets: list[str], errors: list[str], retries: int = 0) -> Sent:
    who = "Firebreak" if message.sender is None else person(message.sender)
    told = {"sent": "Told", "partial": "Partly told", "failed": "Could not tell"}[state]
    what = message.text or f"{message.headline} — {message.phase}"
    again = f", attempt {retries + 1}" if retries else ""
    line = f"{told} {message.audience} ({TRIGGER_WORDS.get(message.trigger, message.trigger)}{again}): {what[:300]}"
    if errors:
        line += f" [{'; '.join(errors)[:300]}]"
    entry = services.incidents.add_timeline(
        incident.id, kind="stakeholder_notice", text=line, at=services.clock.now(), actor=message.sender,
        data={"audience": message.audience, "trigger": message.trigger, "targets": targets, "errors": errors,
              "state": state, "by": who, "retries": retries},
        dedup_key=(f"notice:{key}" + (f":retry{retries}" if retries else ""))[:200])
    if entry is not None and incident.channel_id:
        try:
            services.chat.post_entries(incident, [entry])
        except ChatError:
            log.warning("could not show notification of incident %s in its channel", incident.id)
    return Sent(message.audience, state, tuple(targets), tuple(errors), entry)


TRIGGER_WORDS = {"declared": "declaration", "severity": "severity change", "status_update": "status update",
                 "resolved": "resolution", "manual": "update", "regulatory": "regulatory deadline"}


def subject(message: StakeholderMessage) -> str:
    """An SNS subject: ASCII, one line, at most 100 characters."""
    headline = message.headline
    drill = rehearsal.TAG + " " if headline.startswith(rehearsal.TAG) else ""
    text = f"{drill}[{TRIGGER_WORDS.get(message.trigger, message.trigger)}] {headline.removeprefix(drill)}"
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:100]


def may_notify(services: Services, incident: Incident, actor: str, name: str | None = None) -> None:
    """Responders may send stakeholder updates; incidents.permissions.notify may narrow it to
    roles; a drill tells its test audience only."""
    require_responder(actor, services.config.access.responders, services.directory)
    require_role(services.config.incidents, incident, "notify", actor)
    if name is not None:
        rehearsal.require_reachable(incident, name.lower(), "notify")


def notify(services: Services, incident: Incident, name: str, *, actor: str, key: str, text: str = "",
           fields: dict | None = None) -> Sent:
    """`/incident notify`: the form's answers (or the template) sent to one audience."""
    may_notify(services, incident, actor, name)
    message = compose(services, incident, name.lower(), "manual", text=text, sender=actor)
    if fields:
        message = replace(message, **{k: v.strip() for k, v in fields.items()
                                      if k in ("what_happened", "impact", "phase", "next_update") and v is not None})
    return send(services, incident, message, key=key)


# ------------------------------------------------------------------ the plan applied


def _auto(services: Services, incident: Incident, trigger: str, key_part: str, text: str = "") -> list[Sent]:
    notify_names, _ = plan(services).due(trigger, incident.severity, incident.category)
    notify_names = rehearsal.reachable(incident, notify_names)
    results = []
    for name in notify_names:
        try:
            results.append(send(services, incident, compose(services, incident, name, trigger, text=text),
                                key=f"auto:{incident.id}:{key_part}:{name}"))
        except Exception:  # noqa: BLE001 - one audience failing must not stop the others or the change
            log.exception("could not notify %s of incident %s", name, incident.id)
    return results


def trigger_of(entry: TimelineEntry) -> str | None:
    """Which plan trigger a timeline entry is, if any."""
    if entry.kind in ("severity", "status_update"):
        return entry.kind
    if entry.kind == "phase" and entry.data.get("previous") in ACTIVE_PHASES and (
            entry.data.get("phase") == "post-incident" or entry.data.get("resolution") == CANCELLED):
        return "resolved"
    return None


def on_declared(services: Services, incident: Incident) -> list[Sent]:
    return _auto(services, incident, "declared", "declared")


def on_entries(services: Services, incident: Incident, entries: list[TimelineEntry]) -> list[Sent]:
    sent = []
    for entry in entries:
        trigger = trigger_of(entry)
        if trigger is not None:
            sent += _auto(services, incident, trigger, f"e{entry.id}",
                          entry.text if trigger == "status_update" else "")
    return sent


class NoticeRetries:
    """The clock's sweep of automatic notifications that failed (Slack refused, SNS failed):
    each is sent again when its backoff has passed (communications.retry_seconds, doubling,
    at most an hour) to the targets it has not reached yet, up to retry_attempts times. The
    notice is taken back by a conditional update, so a retry runs once; the message is
    composed again from the incident as it is now. Returns how many were delivered."""

    name = "stakeholder-retries"

    def __call__(self, services: Services) -> int:
        comms, repo, now = plan(services), services.repos.communications, services.clock.now()
        delivered = 0
        for record in repo.failed_notices():
            retries = int(record.detail.get("retries") or 0)
            due = record.detail.get("retry_at")
            if retries >= comms.retry_attempts or not due or now < datetime.fromisoformat(due):
                continue
            incident = services.incidents.get(record.incident_id)
            cfg = comms.audiences.get(record.audience)
            if incident is None or cfg is None:
                continue
            if not repo.retry_notice(record.id, record.state, dict(record.detail, retry_at=None)):
                continue  # taken by another sweep, or changed since
            message = compose(services, incident, record.audience, record.trigger,
                              text=record.text if record.trigger == "status_update" else "")
            done = [t for t in record.detail.get("targets") or []]
            try:
                state, targets, errors = _deliver(services, cfg, message, record.id, done=done, retries=retries + 1,
                                                  retry=True)
            except Exception:  # noqa: BLE001 - give it back as it was; the next sweep tries again
                repo.finish_notice(record.id, record.state, record.detail)
                log.exception("retrying notification %s failed", record.key)
                continue
            _recorded(services, incident, message, record.key, state, targets, errors, retries=retries + 1)
            delivered += state == "sent"
        return delivered


# ------------------------------------------------------------------ who was told what


@dataclass(frozen=True)
class Owed:
    audience: str
    trigger: str
    at: datetime
    state: str  # sent | partial | failed | due
    record: NoticeRecord | None


@dataclass(frozen=True)
class Stakeholders:
    sent: list[NoticeRecord]  # everything sent, manual ones included, oldest first
    owed: list[Owed]  # what the plan asked for, with its state
    next_update: datetime | None
    upcoming: list[str]  # audiences told on the next status update / at resolution


def stakeholders(services: Services, incident: Incident) -> Stakeholders:
    """What `/incident stakeholders` shows: each notification sent, and each one the plan asked
    for with whether it went out (`due` when it never did, e.g. a failure)."""
    cfg = plan(services)
    records = services.repos.communications.notices(incident.id)
    by_key = {r.key: r for r in records}
    owed = []
    for entry in services.incidents.timeline(incident.id, limit=None):
        trigger = "declared" if entry.kind == "declared" else trigger_of(entry)
        if trigger is None:
            continue
        severity = entry.data.get("severity", incident.severity) if trigger in ("severity", "declared") else incident.severity
        part = "declared" if trigger == "declared" else f"e{entry.id}"
        for name in rehearsal.reachable(incident, cfg.due(trigger, severity, incident.category)[0]):
            record = by_key.get(f"auto:{incident.id}:{part}:{name}")
            state = record.state if record is not None and record.state != "sending" else "due"
            owed.append(Owed(name, trigger, entry.at, state, record))
    upcoming = []
    if incident.phase in ACTIVE_PHASES:
        for trigger in ("status_update", "resolved"):
            names = rehearsal.reachable(incident, cfg.due(trigger, incident.severity, incident.category)[0])
            if names:
                upcoming.append(f"{TRIGGER_WORDS[trigger]}: {', '.join(names)}")
    return Stakeholders(records, owed, next_update(services, incident), upcoming)
