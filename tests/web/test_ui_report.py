"""The report page of the browser view: the program report of `bot.py report` with its
charts served as PNG, a private incident's title shown only to those who may see it."""

from __future__ import annotations

import re

from core.incidents import lifecycle
from core.incidents import service as incidents
from tests.support.browser_view import UiClient, declare



def cancel(ws, incident, user="alice"):
    incidents.apply(ws.services, incident.id, lambda current, at: lifecycle.cancel(
        ws.services.config.incidents, current, "declared by mistake", ws.user(user), at), actor=ws.user(user))


def test_the_report_and_its_charts(workspace):
    public = declare(workspace, title="Phishing wave")
    secret = declare(workspace, title="Insider exfiltration", private=True)
    cancel(workspace, public)
    cancel(workspace, secret)
    now = workspace.services.clock.now()

    carol = UiClient(workspace).sign_in("carol")
    page = carol.get("/ui/report").get_data(as_text=True)
    assert f"program report, {now:%Y-%m}" in page and "Response times by severity" in page
    assert "Phishing wave" in page and "Insider exfiltration" not in page and "(private)" in page
    charts = re.findall(r'<img src="([^"]+\.png)"', page)
    assert len(charts) >= 8
    image = carol.get(charts[0])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert carol.get(f"/ui/report/{now:%Y-%m}/no-such-chart.png").status_code == 404

    alice = UiClient(workspace).sign_in("alice")
    assert "Insider exfiltration" in alice.get("/ui/report").get_data(as_text=True)
    assert "is not a period" in alice.get("/ui/report?period=someday").get_data(as_text=True)
