"""How an investigation's answer looks in Slack (every value from AWS escaped)."""

from __future__ import annotations

import csv
import io

from core.investigation.model import Answer
from handlers.blocks import context, escape, section, truncate


def _counted(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"`{escape(truncate(value, 80))}` ×{count}" for value, count in pairs) or "none"


def answer(result: Answer) -> tuple[str, list[dict]]:
    q = result.question
    where = f"{escape(result.account or 'Firebreak’s own account')}/{escape(result.region)}"
    head = (f":mag: *{escape(q.subject)} `{escape(q.value)}`* — {len(result.events)} CloudTrail event(s) in the "
            f"last {q.hours} h ({where})")
    if not result.events:
        return f"No CloudTrail events for {q.subject} {q.value}", [section(head), context(
            "Management events only (CloudTrail event history); data events need the Athena query pack.")]
    lines = [f"*Top calls*: {_counted(result.top('name'))}",
             f"*Source IPs*: {_counted(result.top('source_ip'))}",
             f"*User agents*: {_counted(result.top('user_agent', 3))}",
             f"*Errors*: {_counted(result.errors)}" + (f" — :warning: {result.denied} access denied"
                                                       if result.denied else ""),
             f"*First / last seen*: {result.first:%Y-%m-%d %H:%M} / {result.last:%Y-%m-%d %H:%M} UTC"]
    shown = [section(head), section("\n".join(lines))]
    if result.truncated:
        shown.append(context("More events than one answer reads: narrow `--hours` to see them all."))
    shown.append(context("The full list is attached as a CSV file."))
    return f"Investigation of {q.subject} {q.value}: {len(result.events)} event(s)", shown


def csv_text(result: Answer) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in result.csv_rows():  # a leading = + - @ would be a formula in a spreadsheet
        writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in row])
    return out.getvalue()
