"""What a responder (or a routing rule) does with a finding: declare an incident from it,
add it to an open incident, snooze it, dismiss it as a false positive.

Each act is checked here (responder list, state), recorded on the finding for its message
("who did what"), and on the incident's timeline when the finding is linked."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from core.incidents import service as incidents
from core import acts
from core.access import require_responder
from core.actors import SYSTEM_ACTOR
from core.audit import service as audit
from core.errors import FirebreakError, InvalidTransition, NotConnected, NotFound, NotInSandbox, UsageError
from core.events import FindingLinked, FindingsStored, publish
from core.findings import sequences
from core.findings import drill_marks
from core.findings.ports import Digest, Notifier, StoredFinding
from core.findings.routing import Decision, Router
from core.findings.timeutil import format_timestamp, parse_timestamp
from core.incidents.model import Incident
from core.incidents.ports import ChatError
from core.services import Services

log = logging.getLogger("firebreak.findings")

SNOOZE_CHOICES = {"1h": (timedelta(hours=1), "1 h"), "1d": (timedelta(days=1), "1 d"),
                  "7d": (timedelta(days=7), "7 d")}
SNOOZE_SCOPES = {"finding": "this finding", "type": "this type on this resource"}
MAX_REASON = 500  # Security Hub's Note.Text allows 512


def entry(services: Services, user: str | None, action: str, text: str) -> dict[str, Any]:
    return {"at": format_timestamp(services.clock.now()), "user": user or SYSTEM_ACTOR, "action": action,
            "text": text}


def get(services: Services, pk: int) -> StoredFinding:
    finding = services.repos.findings.get(pk)
    if finding is None:
        raise NotFound("That finding is no longer stored in Firebreak.")
    return finding


def require_triager(services: Services, user: str) -> None:
    """Triage is for responders, like incident commands."""
    require_responder(user, services.config.access.responders, services.directory)


def get_digest(services: Services, digest_id: int) -> Digest:
    digest = services.repos.findings.digest(digest_id)
    if digest is None:
        raise NotFound("That digest is no longer stored in Firebreak.")
    return digest


def digest_items(services: Services, digest_id: int, offset: int, limit: int) -> list[StoredFinding]:
    return services.repos.findings.digest_items(digest_id, offset=offset, limit=limit)


def _title(services: Services, finding: StoredFinding) -> str:
    limit = services.config.incidents.max_title_length
    title = " ".join(finding.title.split()) or finding.type
    return title if len(title) <= limit else title[: limit - 1] + "…"


def _changed(notifier: Notifier, finding: StoredFinding) -> None:
    if finding.channel:
        notifier.finding_changed(finding)


def _on_timeline(services: Services, finding: StoredFinding, user: str | None, kind: str, text: str,
                 key: str) -> None:
    if finding.incident_id is not None:
        services.incidents.add_timeline(
            finding.incident_id, kind=kind, text=text, at=services.clock.now(), actor=user or SYSTEM_ACTOR,
            data={"finding_id": finding.finding_id, "source": finding.source, "type": finding.type},
            dedup_key=f"{key}:{finding.incident_id}:{finding.finding_id}"[:200])


def _link(services: Services, finding: StoredFinding, incident: Incident, user: str | None, how: str) -> StoredFinding:
    if drill_marks.is_drill(finding) != incident.is_drill:
        raise InvalidTransition(
            f"This finding came from a drill; incident #{incident.id} is real: a drill's findings stay in their drill."
            if not incident.is_drill else
            f"Incident #{incident.id} is a drill; a real finding is not added to a drill.")

    def unlinked(current: StoredFinding) -> None:
        if current.incident_id not in (None, incident.id):
            raise InvalidTransition(f"This finding is already part of incident #{current.incident_id}.")

    linked = services.repos.finding_state.change(
        finding.pk, entry(services, user, "linked", f"{how} incident #{incident.id}"), unlinked,
        incident_id=incident.id)
    _on_timeline(services, linked, user, "finding",
                 f"Finding linked ({linked.severity}, {linked.type}): {linked.title} [{linked.finding_id}]",
                 "finding-link")
    _changed(services.notifier, linked)
    current = services.incidents.get(incident.id)
    if current is not None and current.channel_id:
        try:  # responders see what they are handling; the link itself is saved either way
            services.chat.post_finding(current.channel_id, linked)
        except ChatError as exc:
            log.warning("finding %s linked to incident %s but not shown there: %s", linked.finding_id,
                        incident.id, exc.message)
    publish(services, FindingLinked(linked, incident.id, user))  # e.g. playbook steps can name their targets
    return linked


def declare_incident(services: Services, pk: int, user: str, origin_channel: str | None = None) -> Incident:
    """The Declare button: one incident per finding, however often it is pressed."""
    require_triager(services, user)
    finding = get(services, pk)
    if finding.incident_id is not None:
        raise InvalidTransition(f"This finding is already part of incident #{finding.incident_id}.")
    joined = _sequence_incident(services, finding)
    if joined is not None and joined.is_drill == drill_marks.is_drill(finding):
        # one attack sequence, one incident: its parts join the one it has (a drill's only a drill's)
        _link(services, finding, joined, user, "Part of an attack sequence: added to")
        return joined
    if drill_marks.is_drill(finding):
        raise InvalidTransition("This finding came from a drill: it declares no real incident.")
    router = Router.from_config(services.config)
    declared = incidents.declare(
        services, title=_title(services, finding), declared_by=user,
        severity=router.incident_severity(finding.severity), category=router.category(finding.route),
        origin_channel=origin_channel, dedup_key=f"finding:{finding.finding_id}"[:200], finding_types=[finding.type])
    _link(services, finding, declared.incident, user, "Declared")
    return declared.incident


def _sequence_incident(services: Services, finding: StoredFinding) -> Incident | None:
    """The open incident this finding's attack sequence already has: the sequence's own (for a
    member), or a member's (for a sequence whose member someone declared first)."""
    related = [sequences.member_of(finding.raw)]
    if sequences.is_sequence(finding.type) and (sequence := sequences.read(finding.raw)) is not None:
        related += sequence.member_ids()
    for finding_id in filter(None, related):
        other = sequences.stored(services.repos.findings, finding.account, finding_id)
        if other is None or other.incident_id is None or other.account != finding.account:
            continue
        incident = services.incidents.get(other.incident_id)
        if incident is not None and incident.phase != "closed":
            return incident
    return None


def auto_declare(services: Services, finding: StoredFinding, decision: Decision) -> None:
    """A `declare` route: the finding is still posted if the declaration is refused. An attack
    sequence whose member is already part of an incident joins that incident instead. A drill's
    finding declares nothing: its drill incident exists already and takes it."""
    if drill_marks.is_drill(finding):
        return
    joined = _sequence_incident(services, finding)
    if joined is not None:
        _link(services, finding, joined, None, f"Route {decision.route}: part of an attack sequence, added to")
        return
    try:
        declared = incidents.declare(
            services, title=_title(services, finding), declared_by=SYSTEM_ACTOR,
            severity=decision.incident_severity, category=decision.category, origin_channel=decision.channel,
            dedup_key=f"finding:{finding.finding_id}"[:200], finding_types=[finding.type], automated=True)
    except FirebreakError as exc:
        services.repos.finding_state.change(finding.pk, entry(
            services, None, "declare-failed", f"Automatic declaration (route {decision.route}) failed: {exc.message}"))
        return
    _link(services, finding, declared.incident, None, f"Route {decision.route} declared")


def attach(services: Services, finding: StoredFinding, incident: Incident, how: str) -> StoredFinding | None:
    """Link on the system's behalf (an attack sequence's member joining its incident); None if
    the finding meanwhile became part of another incident."""
    try:
        return _link(services, finding, incident, None, how)
    except InvalidTransition as exc:
        log.info("finding %s not attached to incident %s: %s", finding.finding_id, incident.id, exc.message)
        return None


def on_findings_stored(services: Services, event: FindingsStored) -> None:
    """Subscriber: the findings a `declare` route placed declare their incidents."""
    for finding, decision in event.to_declare:
        auto_declare(services, finding, decision)


def link_to_incident(services: Services, pk: int, incident_id: int, user: str) -> Incident:
    """Add to incident: only an open one, and only one the person may see (checked here, when
    the choice arrives, whatever the menu offered: a private incident is not even confirmed)."""
    require_triager(services, user)
    finding = get(services, pk)
    incident = services.incidents.get(incident_id)
    if incident is None or not incidents.visible_to(services, incident, user):
        raise NotFound(f"There is no incident #{incident_id}.")
    if incident.phase == "closed":
        raise InvalidTransition(f"Incident #{incident_id} is closed; findings are added to open incidents only.")
    _link(services, finding, incident, user, "Added to")
    return incident


def private_choices(services: Services, pk: int, user: str) -> list[Incident]:
    """The open private incidents `user` may add finding `pk` to (the "Private incident…" form)."""
    require_triager(services, user)
    get(services, pk)
    return [i for i in incidents.listed(services, user, open_only=True) if i.private]


def snooze(services: Services, pk: int, user: str, choice: str) -> StoredFinding:
    """`choice` is "<scope>:<duration>", e.g. "finding:1d" or "type:7d".

    Recorded here first, then noted in AWS (services.writeback.snooze): a failed note never
    loses the snooze. It fails like a dismissal's write-back (the user is told through the one
    error path; throttling runs the job again, which finds its snooze already recorded and
    only retries the note)."""
    scope, _, duration = choice.partition(":")
    if scope not in SNOOZE_SCOPES or duration not in SNOOZE_CHOICES:
        raise UsageError(f"Unknown snooze {choice[:40]!r}.")
    require_triager(services, user)
    finding = get(services, pk)
    act = acts.next_change_key()  # the same on every run of this job
    delta, label = SNOOZE_CHOICES[duration]
    done = _act_entry(finding, act, "snoozed")
    if done is None:
        now = services.clock.now()
        until = now + delta
        services.repos.findings.snooze(scope=scope, finding=finding, until=until, by=user, at=now)
        text = f"Snoozed {SNOOZE_SCOPES[scope]} for {label} (until {format_timestamp(until)})"
        record = dict(entry(services, user, "snoozed", text), until=format_timestamp(until), **_act(act))
        finding = services.repos.finding_state.change(pk, record, status="snoozed")
        _on_timeline(services, finding, user, "finding", f"{text}: {finding.title}", f"finding-snooze-{now.timestamp()}")
        _changed(services.notifier, finding)
    else:
        until = parse_timestamp(done["until"])
    return _note_snooze(services, finding, act, until, user, f"{SNOOZE_SCOPES[scope]} for {label}")


def _act(act: str | None) -> dict[str, str]:
    return {"act": act} if act else {}


def _act_entry(finding: StoredFinding, act: str | None, action: str) -> dict[str, Any] | None:
    if act is None:
        return None
    return next((e for e in finding.activity if e.get("act") == act and e.get("action") == action
                 and (action != "snoozed" or e.get("until"))), None)


def _note_snooze(services: Services, finding: StoredFinding, act: str | None, until, user: str,
                 reason: str) -> StoredFinding:
    try:
        done = services.writeback.snooze(finding, until, user, reason)
    except (NotConnected, NotInSandbox):
        return finding  # the snooze is Firebreak's own; nothing to say
    except FirebreakError as exc:
        if _act_entry(finding, act, "snooze-not-noted") is None:
            failed = services.repos.finding_state.change(finding.pk, dict(entry(
                services, user, "snooze-not-noted",
                f"Snooze kept in Firebreak; not noted in AWS: {exc.message}"), **_act(act)))
            _changed(services.notifier, failed)
        raise
    if not done:  # no copy that takes a note (GuardDuty has no snooze)
        return finding
    audit.record(services, {"event": "finding-snooze-noted", "finding": finding.finding_id, "source": finding.source,
                            "account": finding.account, "region": finding.region, "by": user,
                            "until": format_timestamp(until), "result": done})
    noted = services.repos.finding_state.change(
        finding.pk, dict(entry(services, user, "snooze-noted", f"Snooze noted in AWS: {done}"), **_act(act)))
    _changed(services.notifier, noted)
    return noted


def unsnooze(services: Services, pk: int) -> None:
    finding = services.repos.finding_state.change(pk, entry(services, None, "unsnoozed", "Snooze expired"),
                                               status="open")
    _changed(services.notifier, finding)


def dismiss(services: Services, pk: int, user: str, reason: str) -> StoredFinding:
    """False positive: written back to AWS first; if AWS refuses, nothing changes here."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise UsageError("Say why this is a false positive: the reason is written back to AWS.")
    reason = reason[:MAX_REASON]
    require_triager(services, user)
    finding = get(services, pk)

    def not_dismissed(current: StoredFinding) -> None:
        if current.status == "dismissed":
            raise InvalidTransition("This finding was already dismissed.")

    not_dismissed(finding)
    try:
        done, written_back = services.writeback.dismiss(finding, reason, user), True
    except NotConnected:
        done, written_back = "recorded in Firebreak only (no AWS write-back configured)", False
    except NotInSandbox as exc:  # the decision still counts here; AWS (moto) cannot take it
        done, written_back = f"recorded in Firebreak only ({exc.message})", False
    # What was just written to AWS goes on the audit chain before anything else can fail.
    audit.record(services, {"event": "finding-dismissed", "finding": finding.finding_id, "source": finding.source,
                            "account": finding.account, "region": finding.region, "by": user, "reason": reason,
                            "written_back": written_back, "result": done})
    dismissed = services.repos.finding_state.change(
        pk, entry(services, user, "dismissed", f"Dismissed as false positive: {reason} — {done}"), not_dismissed,
        status="dismissed")
    _on_timeline(services, dismissed, user, "finding", f"Finding dismissed as false positive: {reason}",
                 "finding-dismiss")
    _changed(services.notifier, dismissed)
    return dismissed


def open_from_digest(services: Services, pk: int, user: str) -> StoredFinding:
    """Give a finding from a digest its own triage message, in the digest's thread."""
    require_triager(services, user)
    finding = get(services, pk)
    if finding.channel:
        return finding
    digest = services.repos.findings.digest(finding.digest_id) if finding.digest_id else None
    if digest is None or not digest.slack_ts or digest.slack_ts.startswith("claim:"):
        raise InvalidTransition("This finding is not in a posted digest.")
    shown = services.repos.finding_state.change(pk, entry(services, user, "opened", "Opened from the digest"),
                                             channel=digest.channel, thread_ts=digest.slack_ts)
    _changed(services.notifier, shown)
    return shown
