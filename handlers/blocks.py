"""Block Kit rendering. Every string that came from outside (titles, finding fields,
user text) goes through `escape()`, so `<!channel>` in a finding never pings anyone.
Limits are enforced here rather than trusted to callers: Slack rejects the whole message
if one section is too long."""

from __future__ import annotations

import functools

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from core.mentions import person

SECTION_TEXT_LIMIT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Make outside text inert in mrkdwn: no mentions, links or channel pings."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_or_group: str) -> str:
    """A person (U…/W…) or a user group (S…) as Slack mrkdwn."""
    return f"<!subteam^{user_or_group}>" if user_or_group.startswith("S") else f"<@{user_or_group}>"


def with_mentions(text: str, users) -> str:
    """Escape `text`, then turn the core.mentions tokens of exactly these ids (put there by
    core on purpose) into mentions. Anything else that looks like a mention stays inert.
    Timeline entries stored before core wrote tokens carry <@U…>; those ids are honoured too."""
    shown = escape(text)
    for user in users or ():
        if user and user.isalnum():
            shown = shown.replace(person(user), mention(user)).replace(f"&lt;@{user}&gt;", mention(user))
    return shown


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(mrkdwn: str) -> dict:
    return SectionBlock(text=MarkdownTextObject(text=truncate(mrkdwn, SECTION_TEXT_LIMIT))).to_dict()


def context(mrkdwn: str) -> dict:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(mrkdwn, SECTION_TEXT_LIMIT))]).to_dict()


def user(user_id: str) -> str:
    """A user mention; ids come from Slack's own payload, never from free text."""
    return f"<@{user_id}>" if user_id.isalnum() else escape(user_id)


def usage(title: str, lines: list[tuple[str, str]], problem: str | None = None) -> tuple[str, list[dict]]:
    shown = list(_usage_section(title, tuple(lines)))
    if problem:
        shown.insert(0, section(f":warning: {escape(problem)}"))
    return escape(problem or title), shown


@functools.lru_cache(maxsize=64)
def _usage_section(title: str, lines: tuple[tuple[str, str], ...]) -> tuple[dict, ...]:
    """A command's help is the same every time, and is answered inside the ack: built once
    (it was a fifth of the CPU of a `/incident help` request). Callers never change blocks."""
    text = "\n".join(f"`{escape(cmd)}` — {desc}" for cmd, desc in lines)
    return (section(f"*{title}*\n{text}"),)


def error_message(message: str, usage_text: str = "", error_id: str | None = None,
                  mentions=()) -> tuple[str, list[dict]]:
    body = f":warning: {with_mentions(message, mentions)}"
    if usage_text:
        body += f"\nUsage: `{escape(usage_text)}`"
    if error_id:
        body += f"\nError id: `{error_id}`"
    return escape(message), [section(body)]
