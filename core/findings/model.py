"""The normalized Finding: one shape for GuardDuty, Security Hub (ASFF) and CloudTrail."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("informational", "low", "medium", "high", "critical")
INDICATOR_KINDS = ("ip", "domain", "access_key_id", "principal", "instance_id")
# Vulnerability findings (Inspector, OCSF 2002) also name CVEs and packages: listed only when a
# finding has some, so the five kinds above stay the whole schema of every other finding.
VULNERABILITY_KINDS = ("cve", "package")

# Score for a severity known only by label: Security Hub's own Label -> Normalized mapping.
LABEL_SCORES = {"informational": 0.0, "low": 1.0, "medium": 40.0, "high": 70.0, "critical": 90.0}


def empty_indicators() -> dict[str, list[str]]:
    return {kind: [] for kind in INDICATOR_KINDS}


def severity_from_normalized(score: float) -> str:
    """ASFF Normalized (0-100) bands: 0 informational, 1-39 low, 40-69 medium, 70-89 high, 90+ critical."""
    if score < 1:
        return "informational"
    if score < 40:
        return "low"
    if score < 70:
        return "medium"
    if score < 90:
        return "high"
    return "critical"


@dataclass
class Finding:
    """A normalized finding; `to_json()` is the stable interface, extra attributes are internal."""

    id: str
    source: str
    product: str
    type: str
    title: str
    severity: str
    severity_score: float
    account: str | None
    region: str | None
    resources: list[dict[str, str]] = field(default_factory=list)
    indicators: dict[str, list[str]] = field(default_factory=empty_indicators)
    first_seen: str | None = None
    last_seen: str | None = None
    count: int = 1
    raw_format: str = ""
    # Not serialised: dedup ordering, the original document, resource tags, matched CloudTrail rule.
    updated_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    tags: dict[str, str] = field(default_factory=dict)
    rule: str | None = None
    # The producer's own id when it differs from `id` (OCSF finding_info.uid): copies of one
    # finding in several formats are one stored finding (core/findings/identity.py).
    provider_id: str | None = None
    origin: dict[str, Any] = field(default_factory=dict)  # what write-back needs of this copy
    state: str | None = None  # "suppressed" | "resolved": the producer had closed it already

    def to_json(self) -> dict[str, Any]:
        """The stable schema, keys in the documented order."""
        return {
            "id": self.id,
            "source": self.source,
            "product": self.product,
            "type": self.type,
            "title": self.title,
            "severity": self.severity,
            "severity_score": self.severity_score,
            "account": self.account,
            "region": self.region,
            "resources": [dict(r) for r in self.resources],
            "indicators": {**{kind: list(self.indicators.get(kind, [])) for kind in INDICATOR_KINDS},
                           **{kind: list(self.indicators[kind]) for kind in VULNERABILITY_KINDS
                              if self.indicators.get(kind)}},
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
            "raw_format": self.raw_format,
        }


class FindingError(ValueError):
    """A document that cannot become a Finding; the message is the human-readable reason."""


def add_resource(resources: list[dict[str, str]], rtype: Any, rid: Any) -> None:
    """Append {"type", "id"} once, skipping empty ids (order is kept: primary resource first)."""
    if rid is None or rid == "" or isinstance(rid, (dict, list)):
        return
    entry = {"type": str(rtype or "Other"), "id": str(rid)}
    if entry not in resources:
        resources.append(entry)
