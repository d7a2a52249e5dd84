"""`/evidence list`: the chain-of-custody manifest of an incident in Block Kit. Every value
came from AWS or a person (keys, sources, notes) and is escaped; only the user ids Firebreak
recorded from Slack become mentions."""

from __future__ import annotations

from core.containment.flow import AUTO_APPROVER
from core.evidence.model import EvidenceItem
from core.incidents.model import Incident
from handlers.blocks import MAX_BLOCKS, context, escape, section, truncate, user

SHOWN = MAX_BLOCKS - 3  # heading + one section per item + "more" + footer
ICONS = {"object": ":page_facing_up:", "snapshot": ":floppy_disk:", "ssm-output": ":brain:"}


def _code(text: str) -> str:
    """Inline code that outside text cannot close early."""
    return f"`{escape(str(text).replace('`', chr(39)))}`"


def _who(user_id: str | None) -> str:
    if user_id == AUTO_APPROVER:
        return "configuration (auto-approve)"
    return user(user_id) if user_id else "nobody"


def _size(item: EvidenceItem) -> str:
    if item.size is None:
        return ""
    return f" · {item.size} GiB volume" if item.kind == "snapshot" else f" · {item.size:,} bytes"


def item_text(item: EvidenceItem) -> str:
    lines = [f"{ICONS.get(item.kind, '')} *{escape(item.request_label)}* {escape(item.action)} · "
             f"{escape(item.kind)} · {escape(item.account)}/{escape(item.region)}{_size(item)}",
             f"Location: {_code(item.location)}"]
    if item.version_id:
        lines.append(f"Version id: {_code(item.version_id)}")
    lines.append(f"SHA-256: {_code(item.sha256)}" if item.sha256 else "SHA-256: _not re-hashable_")
    lines += [f"From: {escape(truncate(item.source, 300))}",
              f"Requested by {_who(item.requested_by)} · approved by {_who(item.approved_by)} · "
              f"collected {item.collected_at:%Y-%m-%d %H:%M:%S} UTC",
              f"_{escape(truncate(item.note, 600))}_"]
    return "\n".join(lines)


def manifest(incident: Incident, items: list[EvidenceItem]) -> tuple[str, list[dict]]:
    heading = f"Evidence manifest of incident {incident.label}"
    if not items:
        return heading, [section(f"*{escape(heading)}*\nNothing collected yet. `/evidence help` lists the "
                                 "actions; `/evidence status` lists the requests.")]
    blocks = [section(f"*{escape(heading)}* — {len(items)} item(s), chain of custody")]
    blocks += [section(item_text(item)) for item in items[:SHOWN]]
    if len(items) > SHOWN:
        blocks.append(context(f"…and {len(items) - SHOWN} more: `python bot.py export {incident.id} --format json` "
                              "has the full manifest."))
    blocks.append(context(f"`python bot.py evidence verify {incident.id}` re-hashes every object and checks every "
                          "snapshot against this manifest."))
    return f"{heading}: {len(items)} item(s)", blocks
