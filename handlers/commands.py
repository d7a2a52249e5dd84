"""Slash commands: ack at once (usage on bad input), then do the work after the ack."""

from __future__ import annotations

from dataclasses import dataclass

from core import incidents
from core.services import Services
from handlers import blocks, ids
from handlers.middleware import once

INCIDENT_USAGE = [
    ("/incident help", "show this list"),
    ("/incident declare [severity] <title>", "declare an incident (e.g. `/incident declare sev2 Suspicious console logins`)"),
]
CONTAIN_USAGE = [
    ("/contain help", "show the containment catalog"),
]


@dataclass(frozen=True)
class Parsed:
    sub: str
    args: list[str]
    problem: str | None = None


def parse(text: str, known: set[str]) -> Parsed:
    """Split `text` into a known subcommand and its words; a problem instead of raising."""
    words = (text or "").split()
    if not words:
        return Parsed("help", [])
    sub = words[0].lower()
    if sub not in known:
        return Parsed("help", [], problem=f"Unknown subcommand “{words[0][:40]}”.")
    return Parsed(sub, words[1:])


def parse_declare(args: list[str], severities: list[str]) -> tuple[str | None, str]:
    """`[severity] <title>` → (severity or None, title)."""
    if args and args[0].lower() in severities:
        return args[0].lower(), " ".join(args[1:])
    return None, " ".join(args)


def register(app, services: Services) -> None:
    severities = services.config.incidents.severity_names

    def ack_incident(ack, command):
        parsed = parse(command.get("text", ""), {"help", "declare"})
        if parsed.sub == "help":
            text, shown = blocks.usage("Incident commands", INCIDENT_USAGE, parsed.problem)
            return ack(text=text, blocks=shown, response_type="ephemeral")
        if parsed.sub == "declare" and not parse_declare(parsed.args, severities)[1]:
            text, shown = blocks.usage("Incident commands", INCIDENT_USAGE, "An incident needs a title.")
            return ack(text=text, blocks=shown, response_type="ephemeral")
        ack()

    @once(services)
    def run_incident(respond, command):
        parsed = parse(command.get("text", ""), {"help", "declare"})
        if parsed.sub != "declare":
            return
        severity, title = parse_declare(parsed.args, severities)
        result = incidents.declare(services, title=title, severity=severity, declared_by=command["user_id"],
                                   origin_channel=command.get("channel_id"),
                                   dedup_key=f"slack:{command.get('trigger_id')}")
        if result.created:
            text, shown = blocks.incident_declared(result.incident, command["user_id"])
            respond(text=text, blocks=shown, response_type="in_channel")

    def ack_contain(ack, command):
        parsed = parse(command.get("text", ""), {"help"})
        text, shown = blocks.usage("Containment", CONTAIN_USAGE, parsed.problem)
        shown.append(blocks.context("No containment actions are available in this version yet."))
        ack(text=text, blocks=shown, response_type="ephemeral")

    app.command(ids.COMMAND_INCIDENT)(ack=ack_incident, lazy=[run_incident])
    app.command(ids.COMMAND_CONTAIN)(ack_contain)
