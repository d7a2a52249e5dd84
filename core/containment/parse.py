"""`/contain`, `/evidence` and `/remediate` text → a typed command, or a UsageError that
says what is wrong and how to write it. Pure: the ack runs it, so bad input is answered
before any work starts. One grammar for the three families of the one response engine."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from core.containment.catalog import FAMILIES, OPTIONS_FOR_ALL, SPECS, ActionSpec, specs_of
from core.errors import UsageError

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ACCOUNT = re.compile(r"^\d{12}$")
INCIDENT = re.compile(r"^#?\d{1,9}$")
REQUEST = re.compile(r"^[CcEeRr#]?(\d{1,9})$")
SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
HOURS = re.compile(r"^\d{1,3}$")
CONFIG_ITEM = re.compile(r"^(remembered|[A-Za-z0-9._:-]{1,128})$")  # a configurationStateId
SOURCE_IMAGE = re.compile(r"^(?:ami|snap)-[0-9a-f]{8,17}$")


def general_usage(family: str = "contain") -> str:
    return f"/{family} <action> <target> [--region R] [--account A] [--incident N] [--dry-run]"


GENERAL_USAGE = general_usage()


@dataclass(frozen=True)
class ContainCommand:
    sub: str  # help | status | undo | run (| list, for /evidence)
    action: str | None = None
    target: str | None = None
    options: dict = field(default_factory=dict)  # action-specific options (snapshot, subnets, vpc)
    region: str | None = None
    account: str | None = None
    incident: str | None = None
    dry_run: bool = False
    request_id: int | None = None
    family: str = "contain"  # the slash command it came from: contain | evidence | remediate


def usage_lines(family: str = "contain") -> list[tuple[str, str]]:
    def line(spec: ActionSpec) -> str:
        needs = f" — needs {', '.join(spec.requires)}" if spec.requires else ""
        return spec.summary + ("" if spec.undoable else " (no undo)") + needs

    lines = [(spec.usage, line(spec)) for spec in specs_of(family).values()]
    if any(spec.undoable for spec in specs_of(family).values()):
        lines.append((f"/{family} undo <request>", "reverse a succeeded request (same approval rule)"))
    lines.append((f"/{family} status", f"this incident's {FAMILIES[family].label.lower()} requests"))
    if family == "evidence":
        lines.append(("/evidence list", "the incident's evidence manifest: every item, its SHA-256, where it is "
                                        "kept and who asked for it"))
    return lines + [
        ("options for every action", "--region R, --account 123456789012, --incident N (outside its "
                                     "channel), --dry-run (post the plan only)"),
    ]


def parse(text: str, family: str = "contain") -> ContainCommand:
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return ContainCommand("help", family=family)
    head = words[0].lower()
    offered = specs_of(family)
    options, positional = _options(words[1:], offered.get(head), family)
    general = _general(options, family)
    if head in ("status", "list") and (head == "status" or family == "evidence"):
        if positional:
            raise UsageError(f"`/{family} {head}` takes no arguments (got “{positional[0][:40]}”).",
                             f"/{family} {head} [--incident N]")
        return ContainCommand(head, incident=general["incident"], family=family)
    if head == "undo":
        found = REQUEST.match(positional[0]) if len(positional) == 1 else None
        if found is None:
            raise UsageError(f"Name the one request to undo by its number, e.g. `/{family} undo 12`.",
                             f"/{family} undo <request>")
        return ContainCommand("undo", request_id=int(found.group(1)), family=family, **general)
    spec = offered.get(head)
    if spec is None:
        elsewhere = SPECS.get(head)
        hint = (f" It is a {FAMILIES[elsewhere.family].label.lower()} action: `{elsewhere.usage}`."
                if elsewhere else f" `/{family} help` lists the catalog.")
        raise UsageError(f"Unknown action “{words[0][:40]}”.{hint}", general_usage(family))
    if len(positional) != 1:
        raise UsageError(f"`{spec.name}` needs exactly one target ({spec.target}).", spec.usage)
    target = positional[0]
    if not spec.accepts(target):
        raise UsageError(f"“{target[:80]}” does not look like a target of {spec.name} ({spec.target}).", spec.usage)
    if spec.name == "block-ip":
        target = _cidr(target, spec)
    specific = {k: v for k, v in options.items() if k not in OPTIONS_FOR_ALL}
    _check_specific(spec, specific)
    return ContainCommand("run", action=spec.name, target=target, options=specific, family=family, **general)


def command_for(action: str, target: str, options: dict | None = None, *, incident: str | None = None,
                region: str | None = None, account: str | None = None) -> ContainCommand:
    """A command built from data (a playbook step, a finding's menu), checked exactly like
    typed text: the target must match the action's pattern and hold no whitespace, and only
    the action's own options are accepted (never --account or --region smuggled in a value)."""
    spec = SPECS.get(action)
    if spec is None:
        raise UsageError(f"Unknown action “{str(action)[:40]}”; `/contain help`, `/evidence help` and "
                         "`/remediate help` list the catalog.", GENERAL_USAGE)
    if not isinstance(target, str) or any(c.isspace() for c in target) or not spec.accepts(target):
        raise UsageError(f"“{str(target)[:80]}” is not a valid target of {spec.name} ({spec.target}).", spec.usage)
    if spec.name == "block-ip":
        target = _cidr(target, spec)
    specific: dict = {}
    for name, value in (options or {}).items():
        if name in spec.flags:
            if value not in (True, False, "true", "false"):
                raise UsageError(f"--{name} is a switch: true or false (got “{str(value)[:30]}”).", spec.usage)
            if value in (True, "true"):
                specific[name] = True
        elif name in spec.values and isinstance(value, (str, list)):
            specific[name] = ",".join(value) if isinstance(value, list) else value
        else:
            raise UsageError(f"{spec.name} takes no option “{str(name)[:30]}”.", spec.usage)
    _check_specific(spec, specific)
    return ContainCommand("run", action=spec.name, target=target, options=specific, family=spec.family,
                          **_general({"region": region, "account": account, "incident": incident}, spec.family))


def _options(words: list[str], spec: ActionSpec | None, family: str) -> tuple[dict, list[str]]:
    flags = ("dry-run", *(spec.flags if spec else ()))
    values = ("region", "account", "incident", *(spec.values if spec else ()))
    usage = spec.usage if spec else general_usage(family)
    options: dict = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--"):
            positional.append(word)
            i += 1
            continue
        name, _, inline = word[2:].partition("=")
        name = name.lower()
        if name in options:
            raise UsageError(f"--{name} is given twice.", usage)
        if name in flags and not inline:
            options[name] = True
            i += 1
        elif name in values:
            value = inline or (words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else "")
            if not value:
                raise UsageError(f"--{name} needs a value.", usage)
            options[name] = value
            i += 1 if inline else 2
        else:
            raise UsageError(f"Unknown option “--{name[:30]}”.", usage)
    return options, positional


def _general(options: dict, family: str) -> dict:
    region, account, incident = options.get("region"), options.get("account"), options.get("incident")
    usage = general_usage(family)
    if region and not REGION.match(region):
        raise UsageError(f"“{region[:30]}” is not an AWS region (e.g. eu-west-1).", usage)
    if account and not ACCOUNT.match(account):
        raise UsageError(f"“{account[:30]}” is not an AWS account id (12 digits).", usage)
    if incident and not INCIDENT.match(incident):
        raise UsageError(f"“{incident[:30]}” is not an incident number (e.g. 42).", usage)
    return {"region": region, "account": account, "incident": incident,
            "dry_run": bool(options.get("dry-run"))}


def _cidr(target: str, spec: ActionSpec) -> str:
    try:
        network = ipaddress.IPv4Network(target, strict=False)
    except ValueError:
        raise UsageError(f"“{target[:40]}” is not an IPv4 address or CIDR.", spec.usage) from None
    if network.prefixlen < 8:
        raise UsageError(f"{network} is too wide to block (more than a /8).", spec.usage)
    return str(network)


def _check_specific(spec: ActionSpec, options: dict) -> None:
    if "subnets" in options:
        subnets = [s for s in options["subnets"].split(",") if s]
        bad = [s for s in subnets if not SUBNET.match(s)]
        if bad or not subnets:
            raise UsageError(f"--subnets takes subnet ids separated by commas (got “{options['subnets'][:80]}”).",
                             spec.usage)
        options["subnets"] = subnets
    if "vpc" in options and not VPC.match(options["vpc"]):
        raise UsageError(f"“{options['vpc'][:40]}” is not a VPC id (vpc-…).", spec.usage)
    if "subnets" in options and "vpc" in options:
        raise UsageError("Give --subnets or --vpc, not both.", spec.usage)
    if "config-item" in options and not CONFIG_ITEM.match(str(options["config-item"])):
        raise UsageError(f"--config-item takes an AWS Config item's configurationStateId (as the plan lists them) "
                         f"or `remembered` (got “{str(options['config-item'])[:40]}”).", spec.usage)
    if "hours" in options:
        if not HOURS.match(str(options["hours"])) or not 1 <= int(options["hours"]) <= 720:
            raise UsageError(f"--hours takes a whole number of hours from 1 to 720 (got “{str(options['hours'])[:20]}”).",
                             spec.usage)
        options["hours"] = int(options["hours"])
    if "share" in options and not ACCOUNT.match(str(options["share"])):
        raise UsageError(f"--share takes the forensics account id, 12 digits (got “{str(options['share'])[:30]}”).",
                         spec.usage)
    if "from" in options and not SOURCE_IMAGE.match(str(options["from"])):
        raise UsageError(f"--from takes an AMI (ami-…) or a snapshot (snap-…) id (got “{str(options['from'])[:40]}”).",
                         spec.usage)
