"""Slash-command text as Slack sends it (should_escape: true) turned into what the person
typed: mentions arrive as <@U123|name>, links as <url|label>, and & < > as entities."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|([^>]*))?$")


def _readable(token: str) -> str:
    if user := _USER.match(token):
        return "@" + (user.group(2) or user.group(1))
    if token.startswith("#"):
        channel_id, _, name = token[1:].partition("|")
        return "#" + (name or channel_id)
    if token.startswith("!"):
        special, _, label = token[1:].partition("|")
        return label or "@" + special.split("^")[0]
    url, _, label = token.partition("|")
    return f"{label} ({url})" if label else url


def from_slack(text: str) -> str:
    """Plain text for storage and display (it is escaped again whenever it is shown)."""
    plain = _TOKEN.sub(lambda m: _readable(m.group(1)), text or "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def user_id(word: str) -> str | None:
    """The user id of a mention token like <@U123|alice> (or a bare U123)."""
    token = word.strip()
    if token.startswith("<") and token.endswith(">"):
        match = _USER.match(token[1:-1])
        return match.group(1) if match else None
    return token if re.fullmatch(r"[UW][A-Z0-9]{2,}", token) else None
