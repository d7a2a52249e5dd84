"""The postmortem document is Markdown read by people and tools: text from answers, titles
and findings must not become links, images, headings, tables or HTML there."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from core.incidents.model import Incident
from core.incidents.postmortem import document

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
HOSTILE = ("# Owned\n[click me](https://evil.example/login) ![pixel](https://evil.example/p.png) "
           "<img src=x onerror=alert(1)> | col | www.evil.example **bold** `code`")


def incident(**fields):
    values = dict(id=7, title=HOSTILE, severity="sev2", category="other", phase="post-incident", declared_by="U1",
                  declared_at=AT, updated_at=AT, origin_channel=None, channel_id="C1", version=1,
                  description=HOSTILE, private=False, channel_name="inc-007", summary_ts=None,
                  announce_channel=None, announce_ts=None, phase_times={}, last_update_at=None, roles={},
                  playbook=None, playbook_state={}, postmortem={"summary": HOSTILE, "root_cause": HOSTILE})
    values.update(fields)
    return Incident(**values)


def test_hostile_text_stays_text():
    shown = document(incident(), [])
    assert "](" not in shown.replace("\\](", "").replace("\\]\\(", ""), "no Markdown link or image survives"
    assert not re.search(r"(?<!\\)\[click me(?<!\\)\]", shown)
    assert "<img" not in shown and "&lt;img" in shown
    assert "https://evil" not in shown and "www.evil" not in shown, "no autolinked URL"
    headings = [line for line in shown.splitlines() if line.startswith("#")]
    assert all(not line.lstrip("#").strip().startswith("Owned") for line in headings), headings
    assert "**bold**" not in shown and "`code`" not in shown
    table_rows = [line for line in shown.splitlines() if line.startswith("|")]
    assert all(line.count("|") - line.count("\\|") <= 5 for line in table_rows), "no extra table columns"


def test_plain_words_read_as_before():
    shown = document(incident(title="Root login from 203.0.113.9", description="", postmortem={
        "summary": "Keys rotated at 10:30; nothing else."}), [])
    assert shown.startswith("# Incident #7: Root login from 203.0.113.9")
    assert "Keys rotated at 10:30; nothing else." in shown
