"""Drills stay drills: what a drill incident may say outside its channel, and to whom.

A drill pages nobody, tells no audience and opens no AWS case, unless its scenario names a
test audience (`test_audience:` in drills/*.yaml): then everything the plan, a person or
an SLA escalation would send goes to that audience only, so the whole path can be
rehearsed without reaching a real person. Whatever leaves a drill says `[DRILL]` first."""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import UsageError
from core.incidents.model import Incident

TAG = "[DRILL]"


def test_audience(incident: Incident) -> str | None:
    """The audience a drill's scenario opted in to, if any (None for a real incident too)."""
    return incident.drill.get("test_audience") or None if incident.is_drill else None


def reachable(incident: Incident, names: Iterable[str]) -> list[str]:
    """The audiences of `names` this incident may reach: all for a real incident; for a drill
    its test audience instead of any of them, or none."""
    names = list(names)
    if not incident.is_drill:
        return names
    test = test_audience(incident)
    return [test] if names and test else []


def require_reachable(incident: Incident, target: str, what: str) -> None:
    """A person asking a drill to page or notify `target`: only its test audience may be reached."""
    if not incident.is_drill or target == test_audience(incident):
        return
    test = test_audience(incident)
    allowed = (f"only its test audience {test}" if test else
               "nobody (a scenario may name a test audience: `test_audience:` in its file)")
    raise UsageError(f"Incident {incident.label} is a drill: it may {what} {allowed}, never a real audience "
                     "or person.")


def refuse_aws_case(incident: Incident, name: str) -> None:
    if incident.is_drill:
        raise UsageError(f"Incident {incident.label} is a drill: it opens no {name} (AWS would treat it as real).")


def tagged(incident: Incident, text: str) -> str:
    """`text` as it leaves a drill: `[DRILL]` first (once)."""
    if not incident.is_drill or text.startswith(TAG):
        return text
    return f"{TAG} {text}"
