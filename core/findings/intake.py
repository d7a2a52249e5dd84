"""The one way a document becomes findings, whatever brought it: SQS, SNS, EventBridge, the
Security Hub poll, the CLI, the console.

Sources only fetch and acknowledge. Here every document is normalized with the configured
detection rules; what is not a finding is kept with its origin and the reason (never
dropped unseen); the findings of a whole batch go through the pipeline in one go (dedup,
store, route, notify)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.events import SecurityIrCaseChanged, publish
from core.findings import drill_marks
from core.findings.normalize import Rejection, normalize, normalize_text
from core.findings.pipeline import IngestSummary, ingest
from core.services import Services

REASON_LIMIT = 2000


@dataclass(frozen=True)
class Document:
    """What one delivery carried: text as received, or an object a poll already parsed."""

    body: str | dict[str, Any]
    message_id: str | None = None  # the delivery's own id (SQS MessageId, SNS MessageId, ...)


@dataclass(frozen=True)
class Received:
    """What became of one document; the source decides from it whether to acknowledge."""

    findings: int
    rejected: list[Rejection] = field(default_factory=list)  # could not be read as findings
    not_matched: int = 0  # CloudTrail events no detection rule selects: not findings, not errors

    @property
    def unreadable(self) -> bool:
        """Nothing in it was a finding and something could not be read: resending cannot fix it."""
        return bool(self.rejected) and not self.findings


def receive(services: Services, documents: list[Document], *, origin: str,
            summary: IngestSummary | None = None, limits: dict | None = None) -> tuple[IngestSummary, list[Received]]:
    """`limits` caps documents and errors per body (normalize.BODY_LIMITS) for network input."""
    summary = summary if summary is not None else IngestSummary()
    findings, received, case_events = [], [], []
    for document in documents:
        result = (normalize_text(document.body, services.detection_rules, **(limits or {}))
                  if isinstance(document.body, str)
                  else normalize(document.body, services.detection_rules))
        summary.add_rejections(result.rejected)
        bad = [r for r in result.rejected if r.kind != "no_match"]
        if bad:
            body = document.body if isinstance(document.body, str) else repr(document.body)
            services.repos.intake.reject(origin=origin, message_id=document.message_id, body=body,
                                         reason="; ".join(r.reason for r in bad)[:REASON_LIMIT],
                                         at=services.clock.now())
        findings.extend(result.findings)
        case_events.extend(result.case_events)
        received.append(Received(len(result.findings), bad, len(result.rejected) - len(bad)))
    drill_marks.mark(findings, origin)
    # committed before any source acknowledges; a drill declares its own incident, never a route
    ingest(services, findings, summary, declare=origin != "drill")
    for case_event in case_events:  # a linked incident follows its Security IR case at once
        publish(services, SecurityIrCaseChanged(case_event))
    return summary, received


def receive_one(services: Services, body: str | dict[str, Any], *, origin: str, message_id: str | None = None,
                limits: dict | None = None) -> tuple[IngestSummary, Received]:
    summary, [received] = receive(services, [Document(body, message_id)], origin=origin, limits=limits)
    return summary, received


SLACK_WAIT_SECONDS = 600


def ingest_report(services: Services, path: str, text: str) -> tuple[list[str], bool]:
    """A file of findings through the whole pipeline (`bot.py ingest`, the console's :ingest):
    the summary's lines, each prefixed by the file, and whether some input was rejected. The
    last line says whether Slack has shown them (it waits for the paced sends, up to ten minutes)."""
    summary, _ = receive_one(services, text, origin="cli")
    lines = [f"{path}: {line}" for line in summary.lines()]
    if not services.settings.secrets.slack_bot_token:  # the root connects a notifier exactly then
        lines.append(f"{path}: Slack: no SLACK_BOT_TOKEN, nothing posted; the findings wait in the database "
                     "and the next `python bot.py worker` (or ingest) with a token posts them")
    elif services.notifier.drain(SLACK_WAIT_SECONDS):
        lines.append(f"{path}: Slack: every message sent")
    else:
        lines.append(f"{path}: Slack: still sending after {SLACK_WAIT_SECONDS} s; the rest stays queued in the "
                     "database for the next worker")
    return lines, bool(summary.rejected)
