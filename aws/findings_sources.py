"""Finding sources on AWS: the SQS consumer behind `python bot.py worker`, and Security Hub
GetFindings polling (a job for the scheduler).

SQS delivers at least once, so the order is: store and commit, then delete. A crash in
between means a redelivery that dedup turns into "unchanged". A message with no finding
in it is kept in the database with the reason, then moved to the configured dead-letter
queue (or left for the queue's own redrive policy) - never deleted unseen."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from aws.errors import aws_errors
from aws.sessions import AwsSessions
from aws.startup import aws_failure, refused_message
from core.findings.config import SecurityHubPollConfig
from core.findings.intake import Document, receive
from core.findings.normalize import BODY_LIMITS
from core.findings.pipeline import IngestSummary, release_snoozed
from core.findings.timeutil import format_timestamp, iso_utc
from core.services import Services
from core.startup import Backoff, Sleep, until_ready

log = logging.getLogger("firebreak.worker")
SECURITYHUB_CURSOR = "securityhub:getfindings"
SECURITYHUB_V2_CURSOR = "securityhub:getfindingsv2"
V2_TIME_FIELD = "finding_info.modified_time_dt"
ERROR_BACKOFF_SECONDS = 5.0
_QUEUE_REGION = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/")


def queue_region(queue_url: str) -> str | None:
    match = _QUEUE_REGION.match(queue_url)
    return match.group(1) if match else None


@dataclass
class WorkerStats:
    batches: int = 0
    messages: int = 0
    deleted: int = 0
    poison: int = 0
    summary: IngestSummary = field(default_factory=IngestSummary)


class SqsWorker:
    def __init__(self, services: Services, client: Any, queue_url: str, *, sleep: Sleep | None = None,
                 backoff: Backoff = Backoff()):
        self.services = services
        self.client = client
        self.queue_url = queue_url
        self.config = services.config.findings.queue
        self.stats = WorkerStats()
        self.sleep, self.backoff = sleep, backoff  # the start-up retries (default sleeper: the stop event)

    def run(self, stop: threading.Event) -> WorkerStats:
        """Poll until `stop` is set; a batch already received is always finished first.

        The first receive is the start-up check: while SQS fails transiently it is retried
        with a backoff (core.startup); a refusal (credentials, permissions, no such queue)
        raises StartupRefused. Afterwards a failed batch is logged and retried."""
        log.info("consuming findings from %s", self.queue_url)
        first = until_ready(self.receive, lambda exc: aws_failure(exc, "sqs"), what=f"SQS queue {self.queue_url}",
                            sleep=self.sleep or stop.wait, refused=refused_message, backoff=self.backoff)
        if first is not None:
            self._batch(stop, first)
            while not stop.is_set():
                self._batch(stop)
        log.info("worker stopped after %d batch(es), %d message(s)", self.stats.batches, self.stats.messages)
        return self.stats

    def _batch(self, stop: threading.Event, received: list[dict[str, Any]] | None = None) -> None:
        try:
            messages = self.receive() if received is None else received
            if messages:
                self.process(messages)
            release_snoozed(self.services)
        except Exception:  # noqa: BLE001 - SQS or the database hiccuped: undeleted messages come back
            log.exception("batch failed; retrying in %s s", ERROR_BACKOFF_SECONDS)
            stop.wait(ERROR_BACKOFF_SECONDS)

    def receive(self) -> list[dict[str, Any]]:
        with aws_errors("sqs"):
            response = self.client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=self.config.batch_size,
                WaitTimeSeconds=self.config.wait_seconds, VisibilityTimeout=self.config.visibility_timeout)
        return response.get("Messages") or []

    def process(self, messages: list[dict[str, Any]]) -> None:
        """Store the batch's findings in one commit, then delete what is done."""
        self.stats.batches += 1
        self.stats.messages += len(messages)
        documents = [Document(m.get("Body") or "", f"sqs:{m.get('MessageId')}") for m in messages]
        _, received = receive(self.services, documents, origin="sqs", summary=self.stats.summary,
                              limits=BODY_LIMITS)
        done = [m for m, r in zip(messages, received) if not r.unreadable]  # CloudTrail noise alone is done too
        self._delete(done)  # only after the findings are committed
        for message, outcome in zip(messages, received):
            if outcome.unreadable:
                self._set_aside(message)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        with aws_errors("sqs"):
            response = self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.stats.deleted += len(response.get("Successful") or [])
        for failed in response.get("Failed") or []:  # it comes back; dedup makes that harmless
            log.warning("could not delete message %s: %s", failed.get("Id"), failed.get("Message"))

    def _set_aside(self, message: dict[str, Any]) -> None:
        self.stats.poison += 1
        dlq = self.config.dead_letter_queue_url
        if not dlq:
            log.warning("message %s holds no finding; recorded, left for the queue's redrive policy",
                        message.get("MessageId"))
            return
        with aws_errors("sqs"):
            self.client.send_message(QueueUrl=dlq, MessageBody=message.get("Body") or "", MessageAttributes={
                "firebreak-source-message-id": {"DataType": "String", "StringValue": str(message.get("MessageId"))}})
            self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        log.warning("message %s holds no finding; recorded and moved to %s", message.get("MessageId"), dlq)


def poll_security_hub(services: Services, client: Any) -> IngestSummary:
    """GetFindings updated since the stored cursor (first run: findings.securityhub_poll
    lookback), oldest first; the cursor advances after each committed page. With `api: v2`,
    GetFindingsV2 the same way (poll_security_hub_v2)."""
    cfg = services.config.findings.securityhub_poll
    if cfg.api == "v2":
        return poll_security_hub_v2(services, client)
    cursors = services.repos.intake
    now = services.clock.now()
    start = cursors.cursor(SECURITYHUB_CURSOR) or format_timestamp(now - timedelta(minutes=cfg.lookback_minutes))
    request: dict[str, Any] = {"Filters": {"UpdatedAt": [{"Start": start, "End": format_timestamp(now)}]},
                               "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
                               "MaxResults": cfg.page_size}
    summary = IngestSummary()
    while True:
        with aws_errors("securityhub"):
            page = client.get_findings(**request)
        found = page.get("Findings") or []
        if found:
            receive(services, [Document({"Findings": found}, f"securityhub:{start}")], origin="securityhub-poll",
                    summary=summary)
        latest = max((iso_utc(f.get("UpdatedAt")) or "" for f in found if isinstance(f, dict)), default="")
        if latest:
            cursors.set_cursor(SECURITYHUB_CURSOR, latest, services.clock.now())
        if not page.get("NextToken"):
            return summary
        request["NextToken"] = page["NextToken"]


def poll_security_hub_v2(services: Services, client: Any) -> IngestSummary:
    """GetFindingsV2 (the new Security Hub's OCSF findings) modified since the stored cursor,
    oldest first, page by page; the cursor advances after each committed page."""
    cfg = services.config.findings.securityhub_poll
    cursors = services.repos.intake
    now = services.clock.now()
    start = cursors.cursor(SECURITYHUB_V2_CURSOR) or format_timestamp(now - timedelta(minutes=cfg.lookback_minutes))
    request: dict[str, Any] = {
        "Filters": {"CompositeFilters": [{"DateFilters": [
            {"FieldName": V2_TIME_FIELD, "Filter": {"Start": start, "End": format_timestamp(now)}}]}]},
        "SortCriteria": [{"Field": V2_TIME_FIELD, "SortOrder": "asc"}], "MaxResults": cfg.page_size}
    summary = IngestSummary()
    while True:
        with aws_errors("securityhub"):
            page = client.get_findings_v2(**request)
        found = page.get("Findings") or []
        if found:
            receive(services, [Document({"Findings": found}, f"securityhub-v2:{start}")], origin="securityhub-poll",
                    summary=summary)
        latest = max((iso_utc((f.get("finding_info") or {}).get("modified_time_dt"),
                              (f.get("finding_info") or {}).get("modified_time")) or ""
                      for f in found if isinstance(f, dict)), default="")
        if latest:
            cursors.set_cursor(SECURITYHUB_V2_CURSOR, latest, services.clock.now())
        if not page.get("NextToken"):
            return summary
        request["NextToken"] = page["NextToken"]


def security_hub_polls(sessions: AwsSessions, poll: SecurityHubPollConfig,
                       client: Any = None) -> tuple[tuple[str, Callable[[Services], int], int], ...]:
    """Security Hub polling as a clock sweep (name, function, seconds) when
    findings.securityhub_poll.enabled; the function returns how many findings it stored."""
    if not poll.enabled:
        return ()
    securityhub = client or sessions.client("securityhub")

    def sweep(services: Services) -> int:
        summary = poll_security_hub(services, securityhub)
        return summary.new + summary.updated

    return (("securityhub-poll", sweep, poll.every_minutes * 60),)
