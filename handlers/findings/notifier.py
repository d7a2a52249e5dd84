"""core.findings.ports.Notifier over Slack: triage messages and digests are posted once and
then edited in place, through the paced Outbox.

Each job renders from the database when it runs, not when it was queued, so coalesced jobs
send the latest state. A post first claims the message in the database (two workers never
both post it); what Slack shows is recorded as a revision, so anything unsent when a
process dies is sent by the next one (`recover`)."""

from __future__ import annotations

import secrets

from slack_sdk import WebClient

from core.findings.ports import Digest, IndicatorMatch, StoredFinding
from core.ports import Repositories
from core.services import Clock
from core.settings import Config
from handlers.findings import blocks as triage_blocks
from handlers.outbox import Deferred, Outbox

OPEN_INCIDENT_CHOICES = 100  # Slack's limit of options in one static_select


class SlackNotifier:
    def __init__(self, repos: Repositories, clock: Clock, config: Config, client: WebClient, outbox: Outbox):
        self.findings, self.state, self.incidents = repos.findings, repos.finding_state, repos.incidents
        self.clock, self.config = clock, config
        self.client = client
        self.outbox = outbox
        self._token = secrets.token_hex(6)

    # ----------------------------------------------------------- Notifier
    def finding_changed(self, finding: StoredFinding) -> None:
        if finding.channel:
            self.outbox.submit(finding.channel, ("finding", finding.pk), lambda: self._send_finding(finding.pk))

    def digest_changed(self, digest: Digest) -> None:
        self.outbox.submit(digest.channel, ("digest", digest.id), lambda: self._send_digest(digest.id))

    def indicator_seen(self, match: IndicatorMatch) -> None:
        text, shown = triage_blocks.indicator_note(match)
        self.outbox.submit(match.channel, ("indicator", match.incident_id, match.finding_id),
                           lambda: self.client.chat_postMessage(channel=match.channel, text=text, blocks=shown))

    # ----------------------------------------------------------- lifecycle
    def recover(self) -> int:
        """Queue everything the database says Slack does not show yet (after a restart)."""
        findings, digests = self.state.pending(self.clock.now())
        for finding in findings:
            self.finding_changed(finding)
        for digest in digests:
            self.digest_changed(digest)
        return len(findings) + len(digests)

    def drain(self, timeout: float | None = None) -> bool:
        return self.outbox.drain(timeout)

    def close(self) -> None:
        self.outbox.close()

    # ----------------------------------------------------------- jobs (outbox thread)
    def _send_finding(self, pk: int) -> None:
        finding = self.findings.get(pk)
        if finding is None or not finding.channel or finding.slack_revision >= finding.revision:
            return
        incidents = [] if finding.incident_id is not None else \
            self.incidents.recent(OPEN_INCIDENT_CHOICES, open_only=True)
        text, shown = triage_blocks.finding_message(finding, incidents)
        self._deliver("finding", pk, finding.channel, finding.slack_channel, finding.slack_ts, finding.revision,
                      text, shown, thread_ts=finding.thread_ts)

    def _send_digest(self, digest_id: int) -> None:
        digest = self.findings.digest(digest_id)
        if digest is None or digest.size == 0 or digest.slack_revision >= digest.revision:
            return
        top = self.findings.digest_items(digest_id, limit=self.config.findings.digest.top)
        text, shown = triage_blocks.digest_message(digest, top, self.findings.severity_counts(digest_id))
        self._deliver("digest", digest_id, digest.channel, digest.slack_channel, digest.slack_ts, digest.revision,
                      text, shown)

    def _deliver(self, kind: str, ident: int, channel: str, slack_channel: str | None, ts: str | None,
                 revision: int, text: str, shown: list[dict], thread_ts: str | None = None) -> None:
        if ts and not self.state.is_claim(ts):
            self.client.chat_update(channel=slack_channel or channel, ts=ts, text=text, blocks=shown)
            self.state.shown(kind, ident, revision)
            return
        claim = self.state.claim(kind, ident, self._token, self.clock.now())
        if claim is None:  # another worker is posting it: edit once its ts is stored
            raise Deferred(2.0)
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=shown, thread_ts=thread_ts)
        except BaseException:
            self.state.release(kind, ident, claim)
            raise
        self.state.posted(kind, ident, claim, response["channel"], response["ts"], revision)

