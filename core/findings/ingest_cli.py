"""`bot.py ingest FILE|-`: files of findings through the whole pipeline, with a summary."""

from __future__ import annotations

import sys
from typing import TextIO

from core.findings.intake import receive_one
from core.services import Services

SLACK_WAIT_SECONDS = 600


def ingest_command(services: Services, path: str, text: str, out: TextIO = sys.stdout) -> int:
    """Exit 0 when everything was a finding (or CloudTrail no rule selects), 1 when some input
    was rejected; the summary says what was stored, suppressed and rejected, and why."""
    summary, _ = receive_one(services, text, origin="cli")
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
