"""AWS cases linked to an incident: an AWS Support case (`/incident aws-support`) and an AWS
Security Incident Response case (`/incident aws-ir`).

One case of each kind per incident: it is claimed in the database before AWS is asked, so a
second command (or a retried job) finds it and says which it is instead of opening another.
The case's body is this incident's own summary and a timeline excerpt, nothing of any other
incident. Its id lands on the timeline and in the channel; the clock then polls each open
case: Support correspondence and Security IR comments are posted into the channel once each
(remembered by key), notes added with `/incident note` after a Security IR case was opened
are sent to it once each (CreateCaseComment, idempotent per note), and the Security IR
case's status is kept on the pinned summary. Replies from Slack go to the Support case with
`/incident aws-support reply <text>`. The AWS calls live in aws/support_cases.py behind the
ports in core.communications.ports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.access import Directory
from core.communications import rehearsal
from core.communications.ports import CaseMessage, CaseRecord
from core.errors import FirebreakError, InvalidTransition, UsageError
from core.mentions import as_text, person
from core.incidents.model import Incident, TimelineEntry
from core.incidents.ports import ChatError
from core.incidents.roles import require_role
from core.services import Services

log = logging.getLogger("firebreak.aws_cases")
SUPPORT, SECURITY_IR = "support", "security-ir"
NAMES = {SUPPORT: "AWS Support case", SECURITY_IR: "AWS Security Incident Response case"}
COMMANDS = {SUPPORT: "aws-support", SECURITY_IR: "aws-ir"}
SUPPORT_SEVERITIES = ("low", "normal", "high", "urgent", "critical")
SUPPORT_USAGE = ("/incident aws-support [id] [--severity low|normal|high|urgent|critical] [text]"
                 " · /incident aws-support [id] reply <text>")
IR_USAGE = "/incident aws-ir [id] [text]"
TEXT_LIMIT = 4000  # what a responder may add to a case or reply
SHOWN_LIMIT = 2000  # of one message of a case, in the channel
ENDED = ("post-incident", "closed")


# ------------------------------------------------------------------ parsing (before the ack)


@dataclass(frozen=True)
class SupportCommand:
    action: str  # open | reply
    severity: str | None
    text: str


def parse_support(rest: str) -> SupportCommand:
    """`[--severity S] [text]` or `reply <text>`; raises UsageError."""
    words = rest.split()
    if words and words[0].lower() == "reply":
        text = rest.strip()[len(words[0]):].strip()
        if not text:
            raise UsageError("Say what to reply to the AWS Support case.", SUPPORT_USAGE)
        return SupportCommand("reply", None, _limited(text, SUPPORT_USAGE))
    severity, text = None, rest.strip()
    if words and words[0].startswith("--"):
        flag, equals, value = words[0].partition("=")
        if flag.lower() != "--severity":
            raise UsageError(f"Unknown option “{words[0][:40]}”.", SUPPORT_USAGE)
        used = 1
        if not equals:
            if len(words) < 2:
                raise UsageError("--severity needs a value: " + ", ".join(SUPPORT_SEVERITIES) + ".", SUPPORT_USAGE)
            value, used = words[1], 2
        text = rest.split(None, used)[used] if len(words) > used else ""
        severity = value.lower()
        if severity not in SUPPORT_SEVERITIES:
            raise UsageError(f"“{value[:20]}” is not an AWS Support severity; use one of "
                             f"{', '.join(SUPPORT_SEVERITIES)}.", SUPPORT_USAGE)
    return SupportCommand("open", severity, _limited(text, SUPPORT_USAGE))


def _limited(text: str, usage: str) -> str:
    if len(text) > TEXT_LIMIT:
        raise UsageError(f"The text is {len(text)} characters; the limit is {TEXT_LIMIT}.", usage)
    return text


# ------------------------------------------------------------------ what goes to AWS


def _name(directory: Directory, user: str | None) -> str:
    if not user:
        return "Firebreak"
    return directory.name(user) or user


def _plain(directory: Directory, text: str) -> str:
    return as_text(text, directory.name)


def fmt(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "unknown"


def case_body(services: Services, incident: Incident, text: str, actor: str, limit: int) -> str:
    """The incident's summary and the latest entries of its own timeline, as plain text."""
    head = [f"Security incident {incident.label} (Firebreak)",
            f"Title: {incident.title}",
            f"Severity: {incident.severity} · Category: {incident.category} · Phase: {incident.phase}",
            f"Declared: {fmt(incident.declared_at)} by {_name(services.directory, incident.declared_by)}"]
    if incident.description:
        head.append(f"Description: {incident.description}")
    if text:
        head += ["", f"From {_name(services.directory, actor)}:", text]
    count = services.config.communications.aws_support.timeline_entries
    entries = [e for e in services.incidents.timeline(incident.id, limit=None) if e.kind != "aws_case"][-count:] \
        if count else []
    if entries:
        head += ["", f"Timeline (latest {len(entries)} entries):"]
        head += [f"- {fmt(e.at)} {e.kind}: {_plain(services.directory, e.text)[:500]}" for e in entries]
    body = "\n".join(head)
    return body if len(body) <= limit else body[: limit - 1] + "…"


# ------------------------------------------------------------------ records in the channel


def _note(services: Services, incident: Incident, text: str, actor: str | None, data: dict,
          key: str | None = None) -> TimelineEntry | None:
    entry = services.incidents.add_timeline(incident.id, kind="aws_case", text=text, at=services.clock.now(),
                                            actor=actor, data=data, dedup_key=key[:200] if key else None)
    if entry is not None and incident.channel_id:
        try:
            services.chat.post_entries(incident, [entry])
        except ChatError:
            log.warning("could not show an AWS case entry of incident %s in its channel", incident.id)
    return entry


def _refresh(services: Services, incident: Incident) -> None:
    if incident.channel_id and incident.summary_ts:
        try:
            services.chat.refresh(services.incidents.get(incident.id) or incident)
        except ChatError:
            log.warning("could not refresh the summary of incident %s", incident.id)


def summary_items(repo, incident: Incident) -> list[CaseRecord]:
    """The incident's AWS cases that have an id, for the pinned summary."""
    return [c for c in repo.cases(incident.id) if c.case_id]


# ------------------------------------------------------------------ opening a case


@dataclass(frozen=True)
class Opened:
    record: CaseRecord
    created: bool  # False: the incident had this case already (record says which)


def support_cc(services: Services, incident: Incident) -> list[str]:
    """Who is copied on the Support case: nobody for a private incident, unless configured
    (the private-incident rule audiences follow: `cc_may_see_private`)."""
    cfg = services.config.communications.aws_support
    return list(cfg.cc_emails) if not incident.private or cfg.cc_may_see_private else []


def ir_watchers(services: Services, incident: Incident) -> list[dict]:
    """Whom AWS tells of the Security IR case: nobody for a private incident, unless configured."""
    cfg = services.config.communications.aws_ir
    if incident.private and not cfg.watchers_may_see_private:
        return []
    return [{k: v for k, v in (("email", w.email), ("name", w.name), ("jobTitle", w.job_title)) if v}
            for w in cfg.watchers]


def _withheld(count: int, whom: str) -> str:
    return f"; {count} {whom} left out (private incident)" if count else ""


def _port(services: Services, kind: str, incident: Incident | None = None):
    if incident is not None:
        rehearsal.refuse_aws_case(incident, NAMES[kind])
    section = "aws_support" if kind == SUPPORT else "aws_ir"
    if not getattr(services.config.communications, section).enabled:
        raise UsageError(f"{NAMES[kind]}s are off here (communications.{section}.enabled).")
    return services.outreach.support if kind == SUPPORT else services.outreach.security_ir


def _claim(services: Services, incident: Incident, kind: str, actor: str, severity: str | None):
    if incident.cancelled or incident.phase == "closed":
        raise InvalidTransition(f"Incident {incident.label} has ended ({incident.phase}); open no new AWS case for it.")
    record, claimed = services.repos.communications.claim_case(incident.id, kind, actor=actor, severity=severity,
                                                               at=services.clock.now())
    if not claimed and record.state == "opening":
        raise InvalidTransition(f"The {NAMES[kind]} of incident {incident.label} is being opened (by "
                                f"{person(record.opened_by) if record.opened_by else 'Firebreak'}); "
                                "its id follows here shortly.",
                                mentions=(record.opened_by,) if record.opened_by else ())
    return record, claimed


def _opened(services: Services, incident: Incident, kind: str, record: CaseRecord, case_id: str, status: str,
            actor: str, extra: str = "") -> Opened:
    record = services.repos.communications.case_opened(record.id, case_id, status, services.clock.now())
    _note(services, incident, f"{NAMES[kind]} {case_id} opened by {person(actor)}{extra}", actor,
          {"kind": kind, "case_id": case_id, "event": "opened"}, key=f"awscase:{kind}:{case_id}:opened")
    _refresh(services, incident)
    return Opened(record, True)


def _failed(services: Services, incident: Incident, kind: str, record: CaseRecord, exc: Exception,
            actor: str) -> None:
    services.repos.communications.case_failed(record.id, str(exc), services.clock.now())
    _note(services, incident, f"Could not open an {NAMES[kind]}: {exc}", actor, {"kind": kind, "event": "failed"})


def open_support(services: Services, incident: Incident, *, actor: str, severity: str | None = None,
                 text: str = "") -> Opened:
    """`/incident aws-support`: CreateCase with this incident's summary and timeline excerpt."""
    desk = _port(services, SUPPORT, incident)
    require_role(services.config.incidents, incident, COMMANDS[SUPPORT], actor)
    cfg = services.config.communications.aws_support
    severity = severity or cfg.default_severity
    record, claimed = _claim(services, incident, SUPPORT, actor, severity)
    if not claimed:
        return Opened(record, False)
    subject = f"Security incident {incident.label}: {incident.title}"[:250]
    body = case_body(services, incident, text, actor, 8000)
    try:
        case_id = desk.open_case(subject=subject, body=body, severity=severity, service_code=cfg.service_code,
                                 category_code=cfg.category_code, language=cfg.language, issue_type=cfg.issue_type,
                                 cc_emails=(cc := support_cc(services, incident)))
    except Exception as exc:
        _failed(services, incident, SUPPORT, record, exc, actor)
        raise
    services.repos.communications.record_message(record.id, "create", direction="out", body=_same(body),
                                                 at=services.clock.now())
    return _opened(services, incident, SUPPORT, record, case_id, "opened", actor,
                   f" (severity {severity}{_withheld(len(cfg.cc_emails) - len(cc), 'CC address(es)')})")


def reply_support(services: Services, incident: Incident, *, actor: str, text: str, key: str) -> CaseRecord:
    """`/incident aws-support reply <text>`: AddCommunicationToCase, once per Slack act."""
    desk = _port(services, SUPPORT, incident)
    require_role(services.config.incidents, incident, COMMANDS[SUPPORT], actor)
    record = next((c for c in services.repos.communications.cases(incident.id) if c.kind == SUPPORT), None)
    if record is None or record.state not in ("open", "resolved") or not record.case_id:
        raise UsageError(f"Incident {incident.label} has no AWS Support case to reply to; open one with "
                         "`/incident aws-support [text]`.", SUPPORT_USAGE)
    text = _limited(text.strip(), SUPPORT_USAGE)
    body = f"{text}\n\n— {_name(services.directory, actor)}, incident {incident.label} (Firebreak)"
    repo = services.repos.communications
    if not repo.record_message(record.id, f"reply:{key}", direction="out", body=_same(body),
                               at=services.clock.now()):
        return record  # this act was sent before (a retried job)
    try:
        desk.reply(record.case_id, body, support_cc(services, incident))
    except Exception:
        repo.forget_message(record.id, f"reply:{key}")
        raise
    _note(services, incident, f"Replied on {NAMES[SUPPORT]} {record.case_id}: {text[:SHOWN_LIMIT]}", actor,
          {"kind": SUPPORT, "case_id": record.case_id, "event": "reply"}, key=f"awscase:reply:{key}")
    return record


def open_ir(services: Services, incident: Incident, *, actor: str, text: str = "", key: str) -> Opened:
    """`/incident aws-ir`: CreateCase with AWS Security Incident Response."""
    port = _port(services, SECURITY_IR, incident)
    require_role(services.config.incidents, incident, COMMANDS[SECURITY_IR], actor)
    cfg = services.config.communications.aws_ir
    linked = services.repos.findings.linked(incident.id) if services.repos.findings is not None else []
    accounts = list(dict.fromkeys(cfg.impacted_accounts or [f.account for f in linked if f.account]))
    if not accounts:
        raise UsageError(f"Incident {incident.label} has no impacted AWS account to name: link its findings, or "
                         "set communications.aws_ir.impacted_accounts.", IR_USAGE)
    record, claimed = _claim(services, incident, SECURITY_IR, actor, None)
    if not claimed:
        return Opened(record, False)
    seen = sorted(f.first_seen for f in linked if f.first_seen)
    started = _parse_time(seen[0]) if seen else None
    watchers = ir_watchers(services, incident)
    try:
        case_id = port.open_case(
            title=f"Security incident {incident.label}: {incident.title}"[:300],
            description=case_body(services, incident, text, actor, 8000), resolver_type=cfg.resolver_type,
            engagement_type=cfg.engagement_type, started=started or incident.declared_at, accounts=accounts,
            watchers=watchers, regions=list(dict.fromkeys(f.region for f in linked if f.region)),
            token=f"firebreak-{incident.id}-{key}"[:255])
    except Exception as exc:
        _failed(services, incident, SECURITY_IR, record, exc, actor)
        raise
    return _opened(services, incident, SECURITY_IR, record, case_id, "Submitted", actor,
                   f" ({cfg.resolver_type} resolver, accounts {', '.join(accounts)}"
                   f"{_withheld(len(cfg.watchers) - len(watchers), 'watcher(s)')})")


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _same(body: str) -> str:
    """A body as compared with the case's correspondence (whitespace does not count)."""
    return " ".join(body.split())


# ------------------------------------------------------------------ resolution


def on_resolution(services: Services, incident: Incident, entries: list[TimelineEntry]) -> int:
    """`aws_support.resolve_on_resolution`: ResolveCase once the incident is resolved or cancelled."""
    cfg = services.config.communications.aws_support
    ended = any(e.kind == "phase" and (e.data.get("phase") in ENDED or e.data.get("resolution") == "cancelled")
                for e in entries)
    if not (cfg.enabled and cfg.resolve_on_resolution and ended):
        return 0
    resolved = 0
    for record in services.repos.communications.cases(incident.id):
        if record.kind != SUPPORT or record.state != "open" or not record.case_id:
            continue
        status = services.outreach.support.resolve(record.case_id)
        services.repos.communications.case_status(record.id, status or "resolved", services.clock.now(),
                                                  state="resolved")
        _note(services, incident, f"{NAMES[SUPPORT]} {record.case_id} resolved (the incident is {incident.phase})",
              None, {"kind": SUPPORT, "case_id": record.case_id, "event": "resolved"},
              key=f"awscase:{SUPPORT}:{record.case_id}:resolved")
        resolved += 1
    if resolved:
        _refresh(services, incident)
    return resolved


# ------------------------------------------------------------------ Security IR events, then the clock's polls


def on_case_event(services: Services, event) -> int:
    """Subscriber (SecurityIrCaseChanged): the incident linked to that case is brought up to
    date now (its status on the pinned summary, new comments posted once each, its notes sent);
    a case no incident follows is none of ours. The clock's poll stays the fallback."""
    if not services.config.communications.aws_ir.enabled:
        return 0
    record = next((c for c in services.repos.communications.open_cases()
                   if c.kind == SECURITY_IR and c.case_id == event.case.case_id), None)
    incident = services.incidents.get(record.incident_id) if record is not None else None
    if incident is None or incident.phase == "closed":
        return 0
    try:
        return CaseSync(SECURITY_IR).sync(services, services.outreach.security_ir, incident, record)
    except FirebreakError as exc:  # AWS refused or was unreachable: the poll tries again
        log.warning("Security IR event %s for case %s of incident %s not followed now: %s", event.case.detail_type,
                    record.case_id, incident.id, exc)
        return 0


class CaseSync:
    """The sweep of one kind of case: new messages into the channel (once each); for Security
    IR also the incident's notes to the case (once each) and its status. Returns how many
    messages moved."""

    def __init__(self, kind: str):
        self.kind = kind
        self.name = "aws-support-cases" if kind == SUPPORT else "aws-ir-cases"

    def __call__(self, services: Services) -> int:
        port = services.outreach.support if self.kind == SUPPORT else services.outreach.security_ir
        moved = 0
        for record in services.repos.communications.open_cases():
            if record.kind != self.kind or not record.case_id:
                continue
            incident = services.incidents.get(record.incident_id)
            if incident is None or incident.phase == "closed":
                continue
            try:
                moved += self.sync(services, port, incident, record)
            except FirebreakError as exc:  # AWS refused or was unreachable: next poll tries again
                log.warning("could not sync %s %s of incident %s: %s", self.kind, record.case_id, incident.id, exc)
        return moved

    def sync(self, services: Services, port, incident: Incident, record: CaseRecord) -> int:
        moved = 0
        if self.kind == SECURITY_IR:
            moved += _send_notes(services, port, incident, record)
        messages = port.correspondence(record.case_id) if self.kind == SUPPORT else port.comments(record.case_id)
        moved += _post_new(services, incident, record, messages)
        if self.kind == SECURITY_IR:
            _follow_status(services, port, incident, record)
        return moved


def _post_new(services: Services, incident: Incident, record: CaseRecord, messages: list[CaseMessage]) -> int:
    repo, now = services.repos.communications, services.clock.now()
    known, ours = repo.message_keys(record.id), repo.sent_bodies(record.id)
    posted = 0
    for message in messages:
        key = f"in:{message.key}"
        if key in known:
            continue
        if not repo.record_message(record.id, key, direction="in", body=message.body[:20000], at=now):
            continue
        if _same(message.body) in ours:
            continue  # Firebreak's own words coming back (the case body, a reply, a synced note)
        body = message.body.strip()
        shown = body if len(body) <= SHOWN_LIMIT else body[: SHOWN_LIMIT - 1] + "…"
        when = f" ({fmt(message.at)})" if message.at else ""
        _note(services, incident, f"{NAMES[record.kind]} {record.case_id} — {message.author or 'AWS'}{when}: {shown}",
              None, {"kind": record.kind, "case_id": record.case_id, "event": "message", "author": message.author},
              key=f"awscase:{record.id}:{key}")
        posted += 1
    return posted


def _send_notes(services: Services, port, incident: Incident, record: CaseRecord) -> int:
    """Notes added with `/incident note` since the case was opened go to it once each."""
    repo = services.repos.communications
    known = repo.message_keys(record.id)
    sent = 0
    timeline = services.incidents.timeline(incident.id, limit=None)
    opened = next((e for e in timeline if e.kind == "aws_case" and e.data.get("event") == "opened"
                   and e.data.get("case_id") == record.case_id), None)
    for entry in timeline:
        later = entry.id > opened.id if opened is not None else entry.at >= record.opened_at
        if entry.kind != "note" or not later or f"note:{entry.id}" in known:
            continue
        body = (f"{_plain(services.directory, entry.text)}\n\n— {_name(services.directory, entry.actor)}, "
                f"incident {incident.label} (Firebreak)")
        if not repo.record_message(record.id, f"note:{entry.id}", direction="out", body=_same(body),
                                   at=services.clock.now()):
            continue
        try:
            comment_id = port.comment(record.case_id, body[:12000], token=f"firebreak-note-{entry.id}")
        except Exception:
            repo.forget_message(record.id, f"note:{entry.id}")
            raise
        repo.record_message(record.id, f"in:{comment_id}", direction="out", body=_same(body),
                            at=services.clock.now())
        sent += 1
    return sent


def _follow_status(services: Services, port, incident: Incident, record: CaseRecord) -> None:
    status = port.status(record.case_id)
    if not status or status == record.status:
        return
    closed = status == "Closed"
    services.repos.communications.case_status(record.id, status, services.clock.now(),
                                              state="resolved" if closed else None)
    _note(services, incident, f"{NAMES[record.kind]} {record.case_id}: {record.status or 'unknown'} → {status}", None,
          {"kind": record.kind, "case_id": record.case_id, "event": "status", "status": status},
          key=f"awscase:{record.id}:status:{status}")
    _refresh(services, incident)
