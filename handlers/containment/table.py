"""`/contain`, `/evidence` and `/remediate`: one table each, built from the action catalog
(core.containment.catalog) — an entry per action, then undo, status (and the evidence
manifest) — with core's grammar (core.containment.parse) parsing each entry's text, so the
three commands of the one response engine read their options the same way."""

from __future__ import annotations

from core.containment import parse as grammar, sequence_plan
from core.containment.catalog import FAMILIES, ActionSpec, specs_of
from handlers import ids
from handlers.containment.commands import ProposeSequencePlan, RequestAction, ShowEvidence, ShowRequests
from handlers.jobs.command import Command
from handlers.slash import SlashTable, Sub, Words

FAMILY_OF = {ids.COMMAND_CONTAIN: "contain", ids.COMMAND_EVIDENCE: "evidence", ids.COMMAND_REMEDIATE: "remediate"}


def _summary(spec: ActionSpec) -> str:
    needs = f" — needs {', '.join(spec.requires)}" if spec.requires else ""
    return spec.summary + ("" if spec.undoable else " (no undo)") + needs


def reader(family: str):
    """The parser of every entry of the family's table (and of a word that is no entry,
    whose error names the right command or the catalog)."""

    def read(words: Words) -> Command:
        parsed = grammar.parse(words.text, family)
        asked = words.asked
        if parsed.sub == "status":
            return ShowRequests(**asked.acting, parsed=parsed, channel=asked.channel)
        if parsed.sub == "list":
            return ShowEvidence(**asked.acting, parsed=parsed, channel=asked.channel)
        return RequestAction(**asked.acting, parsed=parsed, channel=asked.channel, key=f"slack:{asked.trigger_id}")

    return read


def _sequence(_sub, words: Words) -> Command:
    ref, dry_run = sequence_plan.parse(words.args)
    return ProposeSequencePlan(**words.asked.acting, incident=ref, dry_run=dry_run, channel=words.asked.channel)


def response_table(family: str) -> SlashTable:
    read = reader(family)
    entry = lambda _sub, words: read(words)  # noqa: E731 - core's grammar reads the whole text
    specs = specs_of(family).values()
    subs = [Sub(spec.name, spec.usage, _summary(spec), entry) for spec in specs]
    if any(spec.undoable for spec in specs):
        subs.append(Sub("undo", f"/{family} undo <request>", "reverse a succeeded request (same approval rule)", entry))
    if family == "contain":
        subs.append(Sub("sequence", sequence_plan.USAGE, "one plan across the targets of the incident's GuardDuty "
                                                         "attack sequence, approved once", _sequence))
    subs.append(Sub("status", f"/{family} status", f"this incident's {FAMILIES[family].label.lower()} requests", entry))
    if family == "evidence":
        subs.append(Sub("list", "/evidence list", "the incident's evidence manifest: every item, its SHA-256, where "
                                                  "it is kept and who asked for it", entry))
    return SlashTable(FAMILIES[family].label, tuple(subs), notes=(
        ("options for every action", "--region R, --account 123456789012, --incident N (outside its "
                                     "channel), --dry-run (post the plan only)"),), fallback=read, noun="action")


TABLES = {command: response_table(family) for command, family in FAMILY_OF.items()}
