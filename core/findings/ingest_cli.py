"""`bot.py ingest FILE|-`: files of findings through the whole pipeline, with a summary."""

from __future__ import annotations

import sys
from typing import TextIO

from core.findings.cli import load_detection_rules
from core.findings.normalize import normalize_text
from core.findings.pipeline import ingest_result
from core.services import Services

SLACK_WAIT_SECONDS = 600


def ingest_command(services: Services, path: str, text: str, out: TextIO = sys.stdout) -> int:
    """Exit 0 when everything was a finding (or CloudTrail no rule selects), 1 when some input
    was rejected; the summary says what was stored, suppressed and rejected, and why."""
    result = normalize_text(text, load_detection_rules(services.config))
    summary = ingest_result(services, result)
    for line in summary.lines():
        out.write(f"{path}: {line}\n")
    if services.notifier is None:
        out.write(f"{path}: Slack: no SLACK_BOT_TOKEN, nothing posted; the findings wait in the database "
                  "and the next `python bot.py worker` (or ingest) with a token posts them\n")
    elif services.notifier.drain(SLACK_WAIT_SECONDS):
        out.write(f"{path}: Slack: every message sent\n")
    else:
        out.write(f"{path}: Slack: still sending after {SLACK_WAIT_SECONDS} s; the rest stays queued in the "
                  "database for the next worker\n")
    return 1 if summary.rejected else 0
