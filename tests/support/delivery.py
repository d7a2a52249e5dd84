"""In-memory fakes of the ports core's delivery of findings and cards uses: what storage
holds of findings, digests, incidents and requests (with the store's bookkeeping rules),
and chat's senders, recording the views they are handed. No database, no Slack, no threads:
queued sends run when the test says so."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Callable, Hashable

from core.containment.model import ContainRequest
from core.findings.ports import Deferred, Digest, PostingClaim, StoredFinding
from core.incidents.model import Incident
from core.messages import PostedMessage

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
CLAIM = "claim:"


def stored_finding(pk: int = 1, **changes) -> StoredFinding:
    """A finding as storage hands it out: routed to #security-triage, never shown yet."""
    values = dict(pk=pk, finding_id=f"f-{pk}", source="guardduty", product="guardduty",
                  type="Recon:EC2/PortProbeUnprotectedPort", title=f"probe {pk}", severity="medium",
                  severity_score=50.0, account="123456789012", region="us-east-1",
                  resources=[{"type": "AwsEc2Instance", "id": "i-0abc"}],
                  indicators={"ip": ["198.51.100.7"], "instance_id": ["i-0abc"]}, tags={}, raw={},
                  raw_format="guardduty", first_seen=None, last_seen=None, updated_at="", count=1, status="open",
                  route="default", channel="CTRIAGE", slack_channel=None, slack_ts=None, thread_ts=None,
                  digest_id=None, incident_id=None, activity=[], revision=1, slack_revision=0, received_at=T0)
    values.update(changes)
    return StoredFinding(**values)


def stored_digest(digest_id: int = 1, **changes) -> Digest:
    values = dict(id=digest_id, route="default", channel="CTRIAGE", window_start=T0, size=0, slack_channel=None,
                  slack_ts=None, revision=1, slack_revision=0)
    values.update(changes)
    return Digest(**values)


def open_incident(incident_id: int, **changes) -> Incident:
    values = dict(id=incident_id, title=f"incident {incident_id}", severity="sev3", category="other",
                  phase="analysis", declared_by="U1", declared_at=T0, updated_at=T0, channel_id=f"CINC{incident_id}")
    values.update(changes)
    return Incident(**values)


def contain_request(state: str = "requested", **changes) -> ContainRequest:
    """Request C12 of incident 7: isolate i-0abc, with a plan of one line each."""
    values = dict(id=12, incident_id=7, action="isolate-instance", target="i-0abc", options={},
                  account="123456789012", region="us-east-1", state=state, requested_by="UALICE",
                  requested_at=T0, expires_at=T0 + timedelta(minutes=30),
                  plan={"current": ["i-0abc in sg-web"], "changes": ["move i-0abc to the isolation group"]})
    values.update(changes)
    return ContainRequest(**values)


class MemoryFindings:
    """FindingRepository's reads, FindingStateRepository's bookkeeping and the open incidents
    IncidentRepository.recent lists, kept in dicts, with the store's rules: a claim is taken
    only while nothing is posted or claimed, only the same claim is given back or posted on,
    and `shown` never moves backwards."""

    def __init__(self, incidents: list[Incident] | None = None):
        self.findings: dict[int, StoredFinding] = {}
        self.digests: dict[int, Digest] = {}
        self.incidents = list(incidents or [])
        self.claimed_at: dict[str, datetime] = {}

    # ------------------------------------------------------------- what the test stores
    def put(self, item: StoredFinding | Digest) -> StoredFinding | Digest:
        (self.findings if isinstance(item, StoredFinding) else self.digests)[_ident(item)] = item
        return item

    def change(self, item: StoredFinding | Digest, **values) -> StoredFinding | Digest:
        """A change that chat should show: the fields, and the next revision."""
        current = self._row(_kind(item), _ident(item))
        return self.put(dataclasses.replace(current, revision=current.revision + 1, **values))

    # ------------------------------------------------------------- FindingRepository (reads)
    def get(self, pk: int) -> StoredFinding | None:
        return self.findings.get(pk)

    def digest(self, digest_id: int) -> Digest | None:
        return self.digests.get(digest_id)

    def digest_items(self, digest_id: int, *, offset: int = 0, limit: int = 10) -> list[StoredFinding]:
        items = sorted((f for f in self.findings.values() if f.digest_id == digest_id),
                       key=lambda f: (-f.severity_score, f.pk))
        return items[offset:offset + limit]

    def severity_counts(self, digest_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings.values():
            if f.digest_id == digest_id:
                counts[f.severity] = counts.get(f.severity, 0) + 1
        return counts

    # ------------------------------------------------------------- IncidentRepository.recent
    def recent(self, limit: int = 50, *, open_only: bool = False, severity: str | None = None) -> list[Incident]:
        found = [i for i in sorted(self.incidents, key=lambda i: -i.id) if not open_only or i.is_open]
        return found[:limit]

    # ------------------------------------------------------------- FindingStateRepository (books)
    def claim(self, kind: str, ident: int, token: str, now: datetime) -> str | None:
        row = self._row(kind, ident)
        if row is None or row.slack_ts is not None:
            return None
        claim = f"{CLAIM}{int(now.timestamp())}:{token}"
        self.claimed_at[claim] = now
        self._save(kind, dataclasses.replace(row, slack_ts=claim))
        return claim

    def posted(self, kind: str, ident: int, claim: str, channel_id: str, ts: str, revision: int) -> None:
        row = self._row(kind, ident)
        if row.slack_ts == claim:
            self._save(kind, dataclasses.replace(row, slack_ts=ts, slack_channel=channel_id))
        self.shown(kind, ident, revision)

    def release(self, kind: str, ident: int, claim: str) -> None:
        row = self._row(kind, ident)
        if row.slack_ts == claim:
            self._save(kind, dataclasses.replace(row, slack_ts=None))

    def shown(self, kind: str, ident: int, revision: int) -> None:
        row = self._row(kind, ident)
        if row.slack_revision < revision:
            self._save(kind, dataclasses.replace(row, slack_revision=revision))

    def claims(self) -> list[PostingClaim]:
        return [PostingClaim(kind, _ident(row), row.slack_ts, self.claimed_at[row.slack_ts])
                for kind, rows in (("finding", self.findings), ("digest", self.digests))
                for row in rows.values() if self.is_claim(row.slack_ts)]

    def unshown(self) -> tuple[list[StoredFinding], list[Digest]]:
        return ([f for _, f in sorted(self.findings.items()) if f.channel and f.slack_revision < f.revision],
                [d for _, d in sorted(self.digests.items()) if d.size > 0 and d.slack_revision < d.revision])

    @staticmethod
    def is_claim(ts: str | None) -> bool:
        return bool(ts) and ts.startswith(CLAIM)

    def _row(self, kind: str, ident: int):
        return (self.findings if kind == "finding" else self.digests).get(ident)

    def _save(self, kind: str, row) -> None:
        (self.findings if kind == "finding" else self.digests)[_ident(row)] = row


def _kind(item) -> str:
    return "finding" if isinstance(item, StoredFinding) else "digest"


def _ident(item) -> int:
    return item.pk if isinstance(item, StoredFinding) else item.id


class ChatDown(Exception):
    """What a sender raises when chat refuses (a 5xx, a connection reset)."""


class RecordingTriageSender:
    """core.findings.ports.TriageSender: sends wait in a queue (one per key: a newer send of
    a key replaces the waiting one, keeping its place, as handlers/outbox.py does) until
    `run()`; posts and edits are recorded with the views core handed over."""

    def __init__(self, channel_ids: dict[str, str] | None = None):
        self.queued: OrderedDict[tuple[str, Hashable], Callable[[], None]] = OrderedDict()
        self.posts: list = []
        self.updates: list = []
        self.deferred: list[float] = []
        self.failures: list[Exception] = []
        self.fail_posts = 0  # refuse this many posts
        self.channel_ids = channel_ids or {}

    def queue(self, channel: str, key: Hashable, send: Callable[[], None]) -> None:
        self.queued[(channel, key)] = send

    def run(self) -> int:
        """Run every queued send once, as the paced sender would; returns how many ran.
        A deferred or failed send is recorded and not queued again (the test decides)."""
        ran = 0
        while self.queued:
            _, send = self.queued.popitem(last=False)
            ran += 1
            try:
                send()
            except Deferred as exc:
                self.deferred.append(exc.after)
            except ChatDown as exc:
                self.failures.append(exc)
        return ran

    def post(self, view) -> PostedMessage:
        if self.fail_posts:
            self.fail_posts -= 1
            raise ChatDown("chat.postMessage: internal_error")
        self.posts.append(view)
        return PostedMessage(self.channel_ids.get(view.channel, view.channel), f"1.{len(self.posts):06d}")

    def update(self, view) -> None:
        self.updates.append(view)

    def drain(self, timeout: float | None = None) -> bool:
        return not self.queued

    def close(self) -> None:
        pass


class MemoryRequests:
    """ContainmentRepository's `get` and `set_message`: the requests a card is made of."""

    def __init__(self):
        self.requests: dict[int, ContainRequest] = {}

    def put(self, request: ContainRequest) -> ContainRequest:
        self.requests[request.id] = request
        return request

    def get(self, request_id: int) -> ContainRequest | None:
        return self.requests.get(request_id)

    def set_message(self, request_id: int, channel: str, ts: str) -> None:
        self.requests[request_id] = dataclasses.replace(self.requests[request_id], message_channel=channel,
                                                        message_ts=ts)


class IncidentsById:
    """IncidentRepository's `get`."""

    def __init__(self, *incidents: Incident):
        self.incidents = {i.id: i for i in incidents}

    def get(self, incident_id: int) -> Incident | None:
        return self.incidents.get(incident_id)
