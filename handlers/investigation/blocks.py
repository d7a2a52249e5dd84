"""How an investigation's answer looks in Slack (every value from AWS escaped)."""

from __future__ import annotations

import csv
import io

from core.investigation.model import Answer
from core.investigation.service import ENGINE_NAMES, Progress
from handlers.blocks import context, escape, section, truncate


def _counted(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"`{escape(truncate(value, 80))}` ×{count}" for value, count in pairs) or "none"


def answer(result: Answer, attached_in: str | None = None) -> tuple[str, list[dict]]:
    q = result.question
    if result.engine == "cloudtrail":
        where = f"{escape(result.account or 'Firebreak’s own account')}/{escape(result.region)}"
        found = f"{len(result.events)} CloudTrail event(s)"
    else:
        where = f"{escape(result.account or 'every account')}/{escape(result.region or 'every region')}"
        found = f"{len(result.events)} CloudTrail event(s) from {ENGINE_NAMES[result.engine]}"
    head = f":mag: *{escape(q.subject)} `{escape(q.value)}`* — {found} in the last {q.hours} h ({where})"
    if not result.events:
        note = ("Management events only (CloudTrail event history); data events need `--source athena` or `lake`."
                if result.engine == "cloudtrail" else
                f"{ENGINE_NAMES[result.engine]} query `{escape(result.query_id or '')}` matched nothing.")
        return f"No CloudTrail events for {q.subject} {q.value}", [section(head), context(note)]
    lines = [f"*Top calls*: {_counted(result.top('name'))}",
             f"*Source IPs*: {_counted(result.top('source_ip'))}",
             f"*User agents*: {_counted(result.top('user_agent', 3))}",
             f"*Errors*: {_counted(result.errors)}" + (f" — :warning: {result.denied} access denied"
                                                       if result.denied else ""),
             f"*First / last seen*: {result.first:%Y-%m-%d %H:%M} / {result.last:%Y-%m-%d %H:%M} UTC"]
    shown = [section(head), section("\n".join(lines))]
    if result.truncated:
        shown.append(context("More events than one answer reads: narrow `--hours` to see them all."))
    where = (f"The full list is attached as a CSV file in <#{attached_in}>." if attached_in else
             "Ask in an incident's channel (or with `--incident N`) to get the full list as a CSV file there.")
    shown.append(context(where
                         + (f" {ENGINE_NAMES[result.engine]} query `{escape(result.query_id or '')}`."
                            if result.query_id else "")))
    return f"Investigation of {q.subject} {q.value}: {len(result.events)} event(s)", shown


def csv_text(result: Answer) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in result.csv_rows():  # a leading = + - @ would be a formula in a spreadsheet
        writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in row])
    return out.getvalue()


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f", {n:.0f} {unit} scanned" if unit == "B" else f", {n:.1f} {unit} scanned"
        n /= 1024
    return ""


def progress(question, step: Progress) -> tuple[str, list[dict]]:
    """The message a running query keeps up to date in the channel."""
    name = ENGINE_NAMES[step.engine]
    line = (f":hourglass_flowing_sand: {name} query `{escape(step.query_id)}` for *{escape(question.subject)} "
            f"`{escape(question.value)}`* over {question.hours} h: {escape(step.state)}, {step.elapsed:.0f} s "
            f"of at most {step.timeout:g} s{_size(step.scanned_bytes)}")
    return f"{name} query {step.state}", [section(line)]


def finished(question, engine: str, query_id: str | None, *, events: int | None = None,
             failed: str | None = None) -> tuple[str, list[dict]]:
    name = ENGINE_NAMES[engine]
    what = f"{name} query `{escape(query_id or '')}` for *{escape(question.subject)} `{escape(question.value)}`*"
    if failed is not None:
        return f"{name} query failed", [section(f":x: {what} failed: {escape(truncate(failed, 2500))}")]
    return f"{name} query finished", [section(f":white_check_mark: {what} finished: {events} event(s), "
                                              "summarised below.")]
