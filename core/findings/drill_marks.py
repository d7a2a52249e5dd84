"""Which stored findings a drill delivered. Intake marks them (origin "drill") with a tag
that only it sets (a resource tag of that name on real input is dropped), so correlation
and linking can keep drills and real incidents apart after the fact."""

from __future__ import annotations

from collections.abc import Iterable

from core.findings.model import Finding

MARK = "firebreak:drill"


TITLE_TAG = "[DRILL]"


def mark(findings: Iterable[Finding], origin: str) -> None:
    """A drill's findings are marked, and their titles say [DRILL] wherever they are shown
    (the triage channel is outside the drill's), whatever made the title (a CloudTrail
    detection rule included)."""
    for finding in findings:
        if origin == "drill":
            finding.tags[MARK] = "true"
            if not finding.title.startswith(TITLE_TAG):
                finding.title = f"{TITLE_TAG} {finding.title}"
        else:
            finding.tags.pop(MARK, None)


def is_drill(finding) -> bool:
    """A Finding or StoredFinding a drill delivered."""
    return (finding.tags or {}).get(MARK) == "true"
