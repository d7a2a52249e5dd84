"""The formats AWS security services publish since 2024, one module each, next to the older
ones in core/findings (GuardDuty, ASFF, CloudTrail): OCSF findings (the new Security Hub,
Security Lake), Inspector2 and Macie events. `FORMATS` is what core/findings/normalize.py
tries by shape; `EVENTS` maps the EventBridge detail-types that carry them."""
from __future__ import annotations

from typing import Any, Callable

from core.findings.formats import inspector, macie, ocsf
from core.findings.model import Finding

Parser = Callable[[dict[str, Any], str, "dict[str, Any] | None"], Finding]

# family -> (looks like it?, parse)
FORMATS: dict[str, tuple[Callable[[dict[str, Any]], bool], Parser]] = {
    "ocsf": (ocsf.looks_like_ocsf, ocsf.parse_ocsf),
    "inspector": (inspector.looks_like_inspector, inspector.parse_inspector),
    "macie": (macie.looks_like_macie, macie.parse_macie),
}

# EventBridge detail-type -> (raw_format, key of the list of findings in `detail`, or None: the detail is one)
EVENTS: dict[str, tuple[str, str | None]] = {
    "Findings Imported V2": ("ocsf-event", "findings"),
    "Inspector2 Finding": ("inspector-event", None),
    "Macie Finding": ("macie-event", None),
}


def family_of(document: dict[str, Any]) -> str | None:
    for family, (looks_like, _) in FORMATS.items():
        if looks_like(document):
            return family
    return None


def exploitable(raw_format: str, raw: dict[str, Any]) -> bool:
    """A vulnerability with a known exploit, as the producer says, whatever the format."""
    family = raw_format.split("-", 1)[0]
    if family == "inspector":
        return inspector.exploitable(raw)
    if family == "ocsf":
        return ocsf.exploitable(raw)
    if family == "asff":
        return any(isinstance(v, dict) and v.get("ExploitAvailable") == "YES"
                   for v in raw.get("Vulnerabilities") or [])
    return False


def parse(family: str, document: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None) -> Finding:
    return FORMATS[family][1](document, raw_format, envelope)
