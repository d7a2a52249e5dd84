"""core.findings.ports.Notifier over Slack: triage messages and digests are posted once and
then edited in place, through the paced Outbox.

Each job renders from the database when it runs, not when it was queued, so coalesced jobs
send the latest state. A post first claims the message in the database (two workers never
both post it); what Slack shows is recorded as a revision, so anything unsent when a
process dies is sent by the next one (`recover`)."""

from __future__ import annotations

import logging
import secrets

from slack_sdk import WebClient

from core.findings.ports import Digest, IndicatorMatch, StoredFinding
from core.services import Services
from handlers import triage_blocks
from handlers.app import build_client
from handlers.chat import SlackChat
from handlers.directory import SlackDirectory
from handlers.outbox import Deferred, Outbox, outbox_client
from store.finding_state import CLAIM, FindingState
from store.findings import FindingStore

log = logging.getLogger("firebreak.findings.slack")
OPEN_INCIDENT_CHOICES = 100  # Slack's limit of options in one static_select


class SlackNotifier:
    def __init__(self, services: Services, client: WebClient, outbox: Outbox):
        self.services = services
        self.client = client
        self.outbox = outbox
        self.findings = FindingStore(services.db)
        self.state = FindingState(services.db)
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
        findings, digests = self.state.pending(self.services.clock.now())
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
            self.services.incidents.recent(OPEN_INCIDENT_CHOICES, open_only=True)
        text, shown = triage_blocks.finding_message(finding, incidents)
        self._deliver("finding", pk, finding.channel, finding.slack_channel, finding.slack_ts, finding.revision,
                      text, shown, thread_ts=finding.thread_ts)

    def _send_digest(self, digest_id: int) -> None:
        digest = self.findings.digest(digest_id)
        if digest is None or digest.size == 0 or digest.slack_revision >= digest.revision:
            return
        top = self.findings.digest_items(digest_id, limit=self.services.config.findings.digest.top)
        text, shown = triage_blocks.digest_message(digest, top, self.findings.severity_counts(digest_id))
        self._deliver("digest", digest_id, digest.channel, digest.slack_channel, digest.slack_ts, digest.revision,
                      text, shown)

    def _deliver(self, kind: str, ident: int, channel: str, slack_channel: str | None, ts: str | None,
                 revision: int, text: str, shown: list[dict], thread_ts: str | None = None) -> None:
        if ts and not ts.startswith(CLAIM):
            self.client.chat_update(channel=slack_channel or channel, ts=ts, text=text, blocks=shown)
            self.state.shown(kind, ident, revision)
            return
        claim = self.state.claim(kind, ident, self._token, self.services.clock.now())
        if claim is None:  # another worker is posting it: edit once its ts is stored
            raise Deferred(2.0)
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=shown, thread_ts=thread_ts)
        except BaseException:
            self.state.release(kind, ident, claim)
            raise
        self.state.posted(kind, ident, claim, response["channel"], response["ts"], revision)


def attach(services: Services) -> SlackNotifier | None:
    """Give `services` a Slack notifier when a bot token is configured, queue what is pending,
    and (outside the Bolt app: worker, ingest) the chat that gives declared incidents a channel."""
    if services.notifier is not None:
        return services.notifier  # type: ignore[return-value]
    secrets_ = services.settings.secrets
    if not secrets_.slack_bot_token:
        return None
    if services.chat is None:
        client = build_client(secrets_.slack_bot_token, secrets_.slack_api_url)
        services.directory = services.directory or SlackDirectory(client)
        services.chat = SlackChat(client, services.config, services.directory)
    notifier = SlackNotifier(services, outbox_client(secrets_.slack_bot_token, secrets_.slack_api_url),
                             Outbox(services.config.findings.digest.pace_seconds))
    services.notifier = notifier
    recovered = notifier.recover()
    if recovered:
        log.info("queued %d finding message(s) that Slack did not show yet", recovered)
    return notifier
