"""One finding, many copies: the same GuardDuty (or Inspector) finding arrives natively, as
ASFF from Security Hub CSPM and as OCSF from the new Security Hub. They are one stored
finding: keyed on the producer's own finding id within one account (the natural key), the
richest copy's fields kept, and every copy's write-back identity remembered (`origins`)."""
from __future__ import annotations

import re
from typing import Any

from core.findings.model import Finding

_GUARDDUTY_FINDING = re.compile(r"/finding/([^/]+)$")

# Which copy wins when two carry the same UpdatedAt: the producer's own (GuardDuty's native
# attack sequence lists up to 400 actors, the ASFF copy 10), then OCSF, then ASFF.
RICHNESS = {"guardduty": 3, "inspector": 3, "macie": 3, "ocsf": 2, "asff": 1}
WRITE_BACK_ORDER = ("guardduty", "inspector", "macie", "ocsf", "asff")


def family(raw_format: str | None) -> str:
    return (raw_format or "").split("-", 1)[0]


def provider_key(finding: Finding) -> str:
    """The producer's finding id: GuardDuty's own id whether it came bare, or inside the finding
    ARN that ASFF's Id and OCSF's finding_info.uid carry; otherwise the producer's id as given."""
    provider_id = finding.provider_id or finding.id
    if finding.source == "guardduty":
        match = _GUARDDUTY_FINDING.search(provider_id)
        if match:
            return match.group(1)
    return provider_id


def origin_of(finding: Finding) -> dict[str, dict[str, Any]]:
    """This copy's write-back identity, under its format family (GuardDuty's and ASFF's are
    read here from the finding, so their parsers need not know about origins)."""
    name = family(finding.raw_format)
    if finding.origin:
        return {name: dict(finding.origin)}
    raw = finding.raw if isinstance(finding.raw, dict) else {}
    if name == "asff":
        return {name: {"id": finding.id, "product_arn": raw.get("ProductArn")}}
    if name == "guardduty":
        return {name: {"id": finding.id, "arn": raw.get("arn") or raw.get("Arn")}}
    return {}


def wins(new_updated_at: str, new_format: str, stored_updated_at: str, stored_format: str) -> bool:
    """A copy replaces the stored fields when it is newer, or as new and richer."""
    return (new_updated_at, RICHNESS.get(family(new_format), 0)) > (
        stored_updated_at or "", RICHNESS.get(family(stored_format), 0))


def merged(stored: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    return {**(stored or {}), **(new or {})}


def write_back_origin(origins: dict[str, Any] | None, raw_format: str) -> tuple[str, dict[str, Any]]:
    """The copy to tell about a dismissal: the producer itself when known (GuardDuty archives
    propagate to both Security Hubs), else the new Security Hub's, else CSPM's."""
    origins = origins or {}
    for name in WRITE_BACK_ORDER:
        if isinstance(origins.get(name), dict):
            return name, origins[name]
    return family(raw_format), {}
