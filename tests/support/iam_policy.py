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


# ----------------------------------------------------------------------------- with conditions
# For what moto's enforcement cannot see (it ignores conditions, and checks the resource only
# for S3 and some IAM calls): IAM's evaluation of one request, read from the IAM user guide's
# "Policy evaluation logic" and "Condition operators". Each resource of the request is
# evaluated with its own context (request keys plus that resource's keys, e.g.
# aws:ResourceTag/…, ec2:Owner); the request is allowed only if every resource is allowed
# and none is denied. A missing key fails StringEquals/Like/ArnEquals/Bool, passes
# StringNotEquals and ForAllValues, and is what Null "true" asks for. An operator this
# evaluator does not know is an error, never a guess.


def _values(value) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(value)]


def _condition_holds(operator: str, key: str, wanted, context: dict) -> bool:
    present = key in context
    got = _values(context[key]) if present else []
    wanted = _values(wanted)
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if if_exists and not present:
        return True
    if op == "Null":
        return (not present) == (wanted[0] == "true")
    matchers = {"StringEquals": lambda g, w: g == w, "StringLike": fnmatchcase, "ArnEquals": lambda g, w: g == w,
                "ArnLike": fnmatchcase, "Bool": lambda g, w: g.lower() == w.lower()}
    negated = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
               "ArnNotLike": "ArnLike"}
    base = negated.get(op, op)
    if base not in matchers:
        raise ValueError(f"condition operator {operator} is not evaluated here")

    def one(g: str) -> bool:
        return any(matchers[base](g, w) for w in wanted)

    if qualifier == "ForAllValues":
        result = all(one(g) for g in got)
    elif qualifier == "ForAnyValue":
        result = any(one(g) for g in got)
    else:
        if not present:
            return op in negated
        result = any(one(g) for g in got)
    return not result if op in negated else result


def _conditions_hold(statement: dict, context: dict) -> bool:
    return all(_condition_holds(op, key, wanted, context)
               for op, keys in statement.get("Condition", {}).items() for key, wanted in keys.items())


def decide(policy: dict, action: str, resources: dict[str, dict], request: dict | None = None) -> bool:
    """Is `action` on every ARN of `resources` (each with its own condition keys, plus the
    request's) allowed by `policy`?"""
    for arn, keys in resources.items():
        context = {**(request or {}), **keys}
        applying = [s for s in policy["Statement"] if _applies(s, action, arn) and _conditions_hold(s, context)]
        if any(s["Effect"] == "Deny" for s in applying) or not any(s["Effect"] == "Allow" for s in applying):
            return False
    return True
