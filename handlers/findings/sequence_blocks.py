"""Block Kit for an attack sequence on its triage message and in its incident channel: the
signal timeline (oldest first) and the inventory of resources, actors and endpoints. Every
value comes from the finding, so every value is escaped."""

from __future__ import annotations

from core.findings import sequences
from core.findings.ports import StoredFinding
from handlers.blocks import context, escape, section, truncate

SHOWN_SIGNALS = 12
SHOWN_PARTS = 8


def sequence_blocks(f: StoredFinding) -> list[dict]:
    """Nothing for a finding that is not an attack sequence."""
    sequence = sequences.read(f.raw) if sequences.is_sequence(f.type) else None
    if sequence is None:
        return []
    signals = sequence.timeline()
    lines = [f"`{escape(s.first_seen or '?')}` {escape(truncate(s.name, 120))}"
             + (f" ×{s.count}" if s.count > 1 else "") + f" · _{escape(s.type.lower() or 'signal')}_"
             for s in signals[:SHOWN_SIGNALS]]
    more = f"\n…and {len(signals) - SHOWN_SIGNALS} more" if len(signals) > SHOWN_SIGNALS else ""
    blocks = [section(f"*Signal timeline* ({len(signals)})\n" + "\n".join(lines) + more)] if signals else []
    inventory = [_parts("Resources", [f"{p.kind} `{escape(truncate(p.id, 200))}`" for p in sequence.resources]),
                 _parts("Actors", [f"{escape(p.kind)} `{escape(truncate(p.id, 120))}`" for p in sequence.actors]),
                 _parts("Endpoints", [f"`{escape(truncate(p.id, 120))}`" for p in sequence.endpoints])]
    blocks.append(section("\n".join(inventory)))
    if sequence.description:
        blocks.append(context(escape(truncate(sequence.description, 500))))
    return blocks


def _parts(label: str, shown: list[str]) -> str:
    more = f" (+{len(shown) - SHOWN_PARTS})" if len(shown) > SHOWN_PARTS else ""
    return f"*{label}* ({len(shown)}): " + (", ".join(shown[:SHOWN_PARTS]) + more if shown else "none")
