"""What an investigation asks and what it found (plain data, no I/O)."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from core.errors import UsageError

SUBJECTS = ("principal", "ip", "key", "instance", "bucket")
SOURCES = ("cloudtrail", "athena", "lake")
USAGE = ("/investigate principal|ip|key|instance|bucket <value> [--hours N] [--account A] [--region R] "
         "[--source cloudtrail|athena|lake] [--incident N]")
MAX_HOURS = 24 * 90  # CloudTrail's event history keeps 90 days
MAX_QUERY_HOURS = 24 * 366  # Athena / CloudTrail Lake: as far back as the trail or store keeps
PATTERNS = {
    "principal": re.compile(r"^(arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+|[\w+=,.@-]{1,128})$"),
    "key": re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$"),
    "instance": re.compile(r"^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$"),
    "bucket": re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
}
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass(frozen=True)
class Question:
    subject: str
    value: str
    hours: int = 24
    account: str | None = None
    region: str | None = None
    incident: str | None = None
    source: str | None = None  # cloudtrail (LookupEvents), athena or lake; None: the configured default


@dataclass(frozen=True)
class Event:
    """One CloudTrail management event, as much of it as the summary needs."""

    at: datetime
    name: str
    source: str
    user: str
    source_ip: str
    user_agent: str
    error: str
    event_id: str


@dataclass(frozen=True)
class Answer:
    question: Question
    account: str | None
    region: str
    start: datetime
    end: datetime
    events: list[Event] = field(default_factory=list)
    truncated: bool = False  # more events than one answer reads (narrow --hours)
    engine: str = "cloudtrail"  # what answered: cloudtrail (LookupEvents), athena or lake
    query_id: str | None = None  # the Athena / CloudTrail Lake query

    def top(self, attribute: str, n: int = 5) -> list[tuple[str, int]]:
        return Counter(getattr(e, attribute) for e in self.events if getattr(e, attribute)).most_common(n)

    @property
    def errors(self) -> list[tuple[str, int]]:
        return Counter(e.error for e in self.events if e.error).most_common(5)

    @property
    def denied(self) -> int:
        return sum(1 for e in self.events if "AccessDenied" in e.error or "Unauthorized" in e.error)

    @property
    def first(self) -> datetime | None:
        return min((e.at for e in self.events), default=None)

    @property
    def last(self) -> datetime | None:
        return max((e.at for e in self.events), default=None)

    def csv_rows(self) -> list[list[str]]:
        rows = [["time (UTC)", "event", "source", "user", "source ip", "user agent", "error", "event id"]]
        rows += [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.name, e.source, e.user, e.source_ip, e.user_agent,
                  e.error, e.event_id] for e in sorted(self.events, key=lambda e: e.at)]
        return rows


def _ip(value: str) -> str:
    """An address as AWS logs write it. Python accepts an IPv6 scope id of any characters
    (`fe80::1%'x`), which would reach queries and messages; AWS never logs one, so a scope id
    is refused with a usage error whatever it holds."""
    if "%" in value:
        raise UsageError(f"“{value[:60]}” has an IPv6 scope id (the part after %): AWS logs never record one; "
                         "ask about the address without it.", USAGE)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UsageError(f"“{value[:60]}” is not an IP address.", USAGE) from None


def parse(text: str) -> Question:
    """`/investigate` text → a Question, or a UsageError saying what is wrong (the ack runs this)."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        raise UsageError("Ask about one subject.", USAGE)
    subject = words[0].lower()
    if subject not in SUBJECTS:
        raise UsageError(f"“{words[0][:30]}” is not something Firebreak can investigate; "
                         f"one of {', '.join(SUBJECTS)}.", USAGE)
    options, positional, i = {}, [], 1
    while i < len(words):
        if words[i].startswith("--"):
            name = words[i][2:].lower()
            if name not in ("hours", "account", "region", "incident", "source") or i + 1 >= len(words):
                raise UsageError(f"Unknown or incomplete option “{words[i][:30]}”.", USAGE)
            options[name], i = words[i + 1], i + 2
        else:
            positional.append(words[i])
            i += 1
    if len(positional) != 1:
        raise UsageError(f"`/investigate {subject}` takes exactly one value.", USAGE)
    value = positional[0]
    if subject == "ip":
        value = _ip(value)
    elif not PATTERNS[subject].match(value):
        raise UsageError(f"“{value[:60]}” does not look like a {subject}.", USAGE)
    hours = options.get("hours", "24")
    if not hours.isdigit() or not 1 <= int(hours) <= MAX_QUERY_HOURS:
        raise UsageError(f"--hours takes 1 to {MAX_HOURS} (CloudTrail keeps 90 days; up to {MAX_QUERY_HOURS} "
                         "with --source athena or lake).", USAGE)
    if options.get("account") and not re.fullmatch(r"\d{12}", options["account"]):
        raise UsageError("--account takes a 12-digit AWS account id.", USAGE)
    if options.get("region") and not REGION.match(options["region"]):
        raise UsageError("--region takes an AWS region such as eu-west-1.", USAGE)
    if options.get("incident") and not re.fullmatch(r"#?\d{1,9}", options["incident"]):
        raise UsageError("--incident takes an incident number such as 42.", USAGE)
    source = options.get("source", "").lower() or None
    if source is not None and source not in SOURCES:
        raise UsageError(f"--source takes {', '.join(SOURCES)}.", USAGE)
    return Question(subject, value, int(hours), options.get("account"), options.get("region"), options.get("incident"),
                    source)
