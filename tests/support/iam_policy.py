"""A plain reading of an IAM policy: is this action on this resource allowed?

For the calls moto cannot check itself (moto 5.2.6 signs a bodyless rest-json GET with its
headers as the body, so every Athena GET fails IAM authentication under moto). Deny wins
over Allow; wildcards match as IAM's do (actions case-insensitively). A statement with a
Condition that would decide the answer is refused, not guessed."""

from __future__ import annotations

from fnmatch import fnmatch, fnmatchcase


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _applies(statement: dict, action: str, resource: str) -> bool:
    actions = _listed(statement.get("Action", []))
    resources = _listed(statement.get("Resource", []))
    return any(fnmatch(action.lower(), a.lower()) for a in actions) and \
        any(fnmatchcase(resource, r) for r in resources)


def allows(policy: dict, action: str, resource: str) -> bool:
    applying = [s for s in policy["Statement"] if _applies(s, action, resource)]
    for statement in applying:
        if "Condition" in statement:
            raise ValueError(f"{statement.get('Sid')}: has a Condition; read it by hand for {action} on {resource}")
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)
