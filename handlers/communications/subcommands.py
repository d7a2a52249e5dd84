"""The parsers of the communications subcommands of `/incident` (the table is in
handlers/incidents/table.py): notify, page, notified, determined, aws-support, aws-ir."""

from __future__ import annotations

from core.communications import aws_cases, paging, regulatory, service
from core.errors import UsageError
from handlers.communications.commands import IrCase, OpenNotifyForm, Page, RecordDetermined, RecordNotified, \
    SupportCase
from handlers.incidents.target import aim
from handlers.slash import Sub, Words
from handlers.slack_text import from_slack, user_id


def notify(sub: Sub, words: Words) -> OpenNotifyForm:
    aimed = aim(sub, words, min_args=1)
    if not aimed.args:
        raise UsageError("Name the audience.", service.NOTIFY_USAGE)
    first = aimed.args[0]
    return OpenNotifyForm(**words.asked.acting, target=aimed.target, audience=first.lower(),
                          text=from_slack(aimed.rest[len(first):].strip()))


def page(sub: Sub, words: Words) -> Page:
    aimed = aim(sub, words, min_args=1)
    if not aimed.args:
        raise UsageError("Name an audience with a pager, or @someone.", paging.PAGE_USAGE)
    first = aimed.args[0]
    return Page(**words.asked.acting, target=aimed.target, to=user_id(first) or first.lower(),
                message=from_slack(aimed.rest[len(first):].strip()))


def notified(sub: Sub, words: Words) -> RecordNotified:
    aimed = aim(sub, words, min_args=1)
    if len(aimed.args) != 1:
        raise UsageError("Name the regime, e.g. `gdpr`.", regulatory.NOTIFIED_USAGE)
    return RecordNotified(**words.asked.acting, target=aimed.target, regime=aimed.args[0])


def determined(sub: Sub, words: Words) -> RecordDetermined:
    aimed = aim(sub, words, min_args=1)
    if len(aimed.args) != 1:
        raise UsageError("Name the regime, e.g. `sec`.", regulatory.DETERMINED_USAGE)
    return RecordDetermined(**words.asked.acting, target=aimed.target, regime=aimed.args[0])


def aws_support(sub: Sub, words: Words) -> SupportCase:
    """`[--severity S] [text]` or `reply <text>`, parsed once (core's grammar). A bare number
    first may be the text's own (handlers.incidents.target): then no option can follow it,
    and the reading is all of the text, opening a case."""
    aimed = aim(sub, words, free_text=True)
    wanted = aws_cases.parse_support(aimed.rest)
    whole = None
    if aimed.target.ref_may_be_text:
        whole = words.rest
        if len(whole) > aws_cases.TEXT_LIMIT:
            raise UsageError(f"The text is {len(whole)} characters; the limit is {aws_cases.TEXT_LIMIT}.",
                             aws_cases.SUPPORT_USAGE)
        whole = from_slack(whole)
    return SupportCase(**words.asked.acting, target=aimed.target, action=wanted.action, severity=wanted.severity,
                       text=from_slack(wanted.text), text_if_here=whole, key=f"command:{words.asked.trigger_id}")


def aws_ir(sub: Sub, words: Words) -> IrCase:
    aimed = aim(sub, words, free_text=True)
    return IrCase(**words.asked.acting, target=aimed.target, text=from_slack(aimed.rest),
                  text_if_here=from_slack(words.rest) if aimed.target.ref_may_be_text else None,
                  key=f"command:{words.asked.trigger_id}")
