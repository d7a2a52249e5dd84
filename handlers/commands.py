"""Slash commands: ack at once (usage on bad input), then do the work after the ack."""

from __future__ import annotations

from dataclasses import dataclass

from core.services import Services
from handlers import blocks, contain, ids
from handlers.incident_commands import INCIDENT_SUBCOMMANDS, IncidentCommands
from handlers.middleware import once
from handlers.views import open_declare_modal



@dataclass(frozen=True)
class Parsed:
    sub: str
    args: list[str]
    rest: str  # the text after the subcommand, as Slack sent it
    problem: str | None = None


def parse(text: str, known) -> Parsed:
    """Split `text` into a known subcommand and its words; a problem instead of raising."""
    stripped = (text or "").strip()
    words = stripped.split()
    if not words:
        return Parsed("help", [], "")
    sub = words[0].lower()
    if sub not in known:
        return Parsed("help", [], "", problem=f"Unknown subcommand “{words[0][:40]}”.")
    return Parsed(sub, words[1:], stripped[len(words[0]):].strip())


def incident_usage() -> list[tuple[str, str]]:
    return [(spec.usage, spec.description) for spec in INCIDENT_SUBCOMMANDS.values()]


def register(app, services: Services) -> None:
    incident = IncidentCommands(services, getattr(app, "client", None))
    severities = services.config.incidents.severity_names

    def ack_incident(ack, command, client):
        parsed = parse(command.get("text", ""), INCIDENT_SUBCOMMANDS)
        if parsed.sub == "help":
            text, shown = blocks.usage("Incident commands", incident_usage(), parsed.problem)
            return ack(text=text, blocks=shown, response_type="ephemeral")
        spec = INCIDENT_SUBCOMMANDS[parsed.sub]
        if parsed.sub == "declare" and not parsed.args:
            ack()
            return open_declare_modal(client, command["trigger_id"], services, command.get("channel_id"))
        problem = spec.check(parsed.args)
        if parsed.sub == "declare" and len(parsed.args) == 1 and parsed.args[0].lower() in severities:
            problem = "An incident needs a title."
        if problem:
            text, shown = blocks.error_message(problem, spec.usage)
            return ack(text=text, blocks=shown, response_type="ephemeral")
        ack()

    @once(services)
    def run_incident(respond, command):
        parsed = parse(command.get("text", ""), INCIDENT_SUBCOMMANDS)
        if parsed.sub == "help" or (parsed.sub == "declare" and not parsed.args):
            return
        if INCIDENT_SUBCOMMANDS[parsed.sub].check(parsed.args):
            return
        if parsed.sub == "declare" and len(parsed.args) == 1 and parsed.args[0].lower() in severities:
            return
        incident.run(parsed.sub, parsed.args, parsed.rest, command, respond)

    app.command(ids.COMMAND_INCIDENT)(ack=ack_incident, lazy=[run_incident])
    contain.register(app, services)  # /contain and its Approve / Deny buttons
