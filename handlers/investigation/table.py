"""`/investigate`: one table of the subjects it answers about, with core's grammar
(core.investigation.model.parse) reading the value and the options of each."""

from __future__ import annotations

from core.investigation import model
from handlers.investigation.commands import Investigate
from handlers.slash import SlashTable, Sub, Words


def ask(words: Words) -> Investigate:
    asked = words.asked
    return Investigate(**asked.acting, question=model.parse(words.text), channel=asked.channel)


def _entry(_sub: Sub, words: Words) -> Investigate:
    return ask(words)


INVESTIGATE = SlashTable("Investigation (read-only, no approval)", (
    Sub("principal", "/investigate principal <arn|user|role>", "what an IAM user or role did", _entry),
    Sub("ip", "/investigate ip <address>", "the calls made from an IP address", _entry),
    Sub("key", "/investigate key <AKIA…|ASIA…>", "what an access key was used for", _entry),
    Sub("instance", "/investigate instance <i-…>", "the calls about an EC2 instance", _entry),
    Sub("bucket", "/investigate bucket <name>", "the calls about an S3 bucket", _entry),
), notes=(
    ("options", "--hours N (default 24), --account A, --region R, --incident N (outside its channel), "
                "--source cloudtrail|athena|lake"),
), fallback=ask, noun="subject")
