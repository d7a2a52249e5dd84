"""What chat shows of findings and digests, decided here; the sender (handlers) only paces,
renders and sends.

A finding or digest is due when chat does not show its latest revision. Its delivery is
queued under its key, so a change made while an earlier one waits replaces it; at its paced
turn the delivery reads the latest stored state (queued changes go out as one send of the
newest), builds the complete view and keeps the books:

- a message chat shows already is edited in place, then marked shown;
- a new message is claimed first, with a conditional write, so two workers (or a retry
  racing the first attempt) never both post it; then recorded with where chat put it, or
  given back if the post failed so the next attempt may post;
- at start, claims older than CLAIM_STALE (their poster died between claim and post) are
  given back and everything chat does not show yet is queued again (`recover`)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Callable

from core.response.suggest import suggestions
from core.findings.ports import (Deferred, Digest, DigestView, FindingRepository, FindingStateRepository,
                                 FindingView, IndicatorMatch, StoredFinding, TriageSender)
from core.incidents.ports import IncidentRepository
from core.messages import PostedMessage
from core.services import Clock

OPEN_INCIDENT_CHOICES = 100  # one select's options at most (Slack): the newest open incidents
CLAIM_STALE = timedelta(seconds=120)  # no live poster holds a claim this long
CLAIMED_ELSEWHERE_RETRY = 2.0  # seconds: look again once the other worker has stored where it posted


class FindingDelivery:
    """core.findings.ports.Notifier: findings and digests shown once, then kept current."""

    def __init__(self, findings: FindingRepository, state: FindingStateRepository, incidents: IncidentRepository,
                 clock: Clock, sender: TriageSender, *, digest_top: int, holder: str | None = None):
        self.findings, self.state, self.incidents = findings, state, incidents
        self.clock, self.sender = clock, sender
        self.digest_top = digest_top
        self.holder = holder or uuid.uuid4().hex[:12]  # names this process's claims

    # ----------------------------------------------------------- Notifier: what became due
    def finding_changed(self, finding: StoredFinding) -> None:
        if finding.channel:
            self.sender.queue(finding.channel, ("finding", finding.pk), lambda: self.deliver_finding(finding.pk))

    def digest_changed(self, digest: Digest) -> None:
        self.sender.queue(digest.channel, ("digest", digest.id), lambda: self.deliver_digest(digest.id))

    def indicator_seen(self, match: IndicatorMatch) -> None:
        """A one-off note in the incident's channel: nothing to edit later, so no bookkeeping."""
        if match.channel:
            self.sender.queue(match.channel, ("indicator", match.incident_id, match.finding_id),
                              lambda: self.sender.post(match))

    # ----------------------------------------------------------- lifecycle
    def recover(self) -> int:
        """Queue everything chat does not show yet (at start), after giving back the claims
        of posters that died between claim and post."""
        stale_before = self.clock.now() - CLAIM_STALE
        for claim in self.state.claims():
            if claim.at < stale_before:
                self.state.release(claim.kind, claim.ident, claim.claim)
        findings, digests = self.state.unshown()
        for finding in findings:
            self.finding_changed(finding)
        for digest in digests:
            self.digest_changed(digest)
        return len(findings) + len(digests)

    def drain(self, timeout: float | None = None) -> bool:
        return self.sender.drain(timeout)

    def close(self) -> None:
        self.sender.close()

    # ----------------------------------------------------------- the views
    def finding_view(self, pk: int) -> FindingView | None:
        """The triage message finding `pk` needs now; None when chat shows it already (or it
        is shown nowhere)."""
        finding = self.findings.get(pk)
        if finding is None or not finding.channel or finding.slack_revision >= finding.revision:
            return None
        linked, dismissed = finding.incident_id is not None, finding.status == "dismissed"
        offers = not dismissed
        # The message is the same for everyone in the channel: it names public incidents only.
        open_now = self.incidents.recent(OPEN_INCIDENT_CHOICES, open_only=True) if offers and not linked else []
        return FindingView(
            finding=finding, channel=finding.channel, thread_ts=finding.thread_ts,
            message=self._shown_at(finding.slack_channel or finding.channel, finding.slack_ts),
            declare=offers and not linked,
            link_to=tuple(i for i in open_now if not i.private),
            contain=tuple(suggestions(finding.indicators, finding.resources)) if offers and linked else (),
            triage=offers, link_private=any(i.private for i in open_now))

    def digest_view(self, digest_id: int) -> DigestView | None:
        """The digest's message now; None when chat shows it already or it holds nothing."""
        digest = self.findings.digest(digest_id)
        if digest is None or digest.size == 0 or digest.slack_revision >= digest.revision:
            return None
        return DigestView(digest=digest, top=tuple(self.findings.digest_items(digest_id, limit=self.digest_top)),
                          counts=self.findings.severity_counts(digest_id), channel=digest.channel,
                          message=self._shown_at(digest.slack_channel or digest.channel, digest.slack_ts))

    def _shown_at(self, channel: str, ts: str | None) -> PostedMessage | None:
        """Where chat shows the message; None while it is not posted (or only claimed)."""
        return PostedMessage(channel, ts) if ts and not self.state.is_claim(ts) else None

    # ----------------------------------------------------------- the sends (sender's turn)
    def deliver_finding(self, pk: int) -> None:
        self._deliver(self.finding_view, pk)

    def deliver_digest(self, digest_id: int) -> None:
        self._deliver(self.digest_view, digest_id)

    def _deliver(self, view_of: Callable[[int], FindingView | DigestView | None], ident: int) -> None:
        view = view_of(ident)
        if view is None:
            return
        kind = view.key[0]
        if view.message is not None:
            self.sender.update(view)
            self.state.shown(kind, ident, view.revision)
            return
        claim = self.state.claim(kind, ident, self.holder, self.clock.now())
        if claim is None:  # another worker is posting it: edit it once its place is stored
            raise Deferred(CLAIMED_ELSEWHERE_RETRY)
        try:
            posted = self.sender.post(view)
        except BaseException:
            self.state.release(kind, ident, claim)
            raise
        self.state.posted(kind, ident, claim, posted.channel, posted.ts, view.revision)
