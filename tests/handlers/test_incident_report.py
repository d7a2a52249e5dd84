"""`/incident report [period]` through signed Slack requests: the summary and every chart,
as PNG files with alt text, posted in the channel it was asked in; a bad period is answered
privately in the ack with the usage."""

from __future__ import annotations

import pytest

from tests.support.reports import seed
from tests.support.slack import ack_body, all_text

PNG = b"\x89PNG\r\n\x1a\n"


def ask(ws, text: str) -> dict:
    return ack_body(ws.sender.command("/incident", text, user=ws.user("alice"), channel=ws.channel("general")))


def test_the_report_is_posted_in_the_channel_with_its_charts_as_images(workspace):
    seed(workspace.services)
    assert ask(workspace, "report 2026-Q4") == {}
    general = workspace.channel("general")
    [posted] = workspace.fake.wait_for("chat.postMessage", lambda c: "program report, 2026-Q4" in c.body.get("text", ""),
                                       timeout=20)
    assert posted.body["channel"] == general
    shown = all_text(posted.body)
    assert "Incidents declared in 2026-Q4 (2026-10-01 to 2026-12-31 UTC): 3 (1 in 2026-Q3)" in shown
    assert "Drills (kept apart from the figures above): 1" in shown
    [upload] = workspace.fake.wait_for("files.completeUploadExternal", timeout=20)
    files = [workspace.fake.file(f["id"]) for f in upload.body["files"]]
    assert len(files) == 10 and all(f["content"].startswith(PNG) and f["channel"] == general for f in files)
    asked = workspace.fake.calls_to("files.getUploadURLExternal")
    assert all(len(c.body.get("alt_txt", "")) > 40 for c in asked)  # every image described in words


def test_a_bad_period_gets_the_usage_privately_and_nothing_is_posted(workspace):
    refused = ask(workspace, "report 2026-13")
    assert refused["response_type"] == "ephemeral"
    text = all_text(refused)
    assert "“2026-13” is not a period: give a quarter like 2026-Q4 or a month like 2026-11" in text
    assert "/incident report [2026-Q4|2026-11]" in text
    assert not workspace.fake.calls_to("files.completeUploadExternal")
