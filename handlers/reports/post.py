"""Post a program report in a channel: the headline as a message, then every chart as a PNG
in one upload (files upload v2: getUploadURLExternal, the bytes, completeUploadExternal),
each with its alt text. Used by `/incident report` and by the clock's scheduled digest."""

from __future__ import annotations

from slack_sdk import WebClient

from core.reports.program import ProgramReport
from core.reports.summary import headline
from handlers.blocks import context, escape, section
from handlers.errors import slack_call
from reports.charts import draw

ALT_LIMIT = 1000  # Slack's alt_txt limit (files.getUploadURLExternal)


def summary(report: ProgramReport) -> tuple[str, list[dict]]:
    title = f"Incident response program report, {report.period.label}"
    lines = headline(report)
    return title, [section(f"*{escape(title)}*"), section(escape("\n".join(f"• {line}" for line in lines))),
                   context(escape("Full report with tables: python bot.py report --period "
                                  f"{report.period.label} --format html"))]


def post_report(client: WebClient, channel: str, report: ProgramReport) -> int:
    """Returns how many chart images were shared."""
    text, blocks = summary(report)
    with slack_call("chat.postMessage"):
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    charts = draw(report)
    uploads = [{"content": c.png, "filename": f"report-{report.period.label}-{c.name}.png".replace(" ", "_"),
                "title": c.title, "alt_txt": c.alt[:ALT_LIMIT]} for c in charts]
    with slack_call("files.upload"):
        client.files_upload_v2(channel=channel, file_uploads=uploads)
    return len(uploads)
