"""Configurable CloudTrail detection rules: loading/validation and a small matcher."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fnmatch import translate
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError
from core.findings.model import SEVERITIES
from core.yaml_lines import safe_load

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[2] / "config" / "cloudtrail-rules.yaml"
RULE_KEYS = {"name", "title", "severity", "description", "event_source", "event_name", "conditions", "enabled"}
OPERATORS = ("equals", "in", "exists", "contains", "public_policy", "public_acl")
PUBLIC_GRANTEES = ("acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers")
PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
# Condition keys that pin a wildcard principal down to known callers, so the policy is not public.
RESTRICTING_KEYS = {"aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:principalorgid", "aws:principalaccount",
                    "aws:principalarn", "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:userid",
                    "aws:username", "aws:principalorgpaths"}


class RuleError(ValueError):
    """Invalid rules configuration; the message names the file, rule and offending key."""


@dataclass(frozen=True)
class Condition:
    field: str | None = None
    operator: str = ""
    value: Any = None
    any_of: tuple["Condition", ...] = ()

    def matches(self, record: dict[str, Any]) -> bool:
        if self.any_of:
            return any(c.matches(record) for c in self.any_of)
        values = resolve(record, self.field or "")
        if self.operator == "exists":
            return any(v is not None for v in values) == bool(self.value)
        if self.operator == "public_policy":
            return any(policy_is_public(v) for v in values) == bool(self.value)
        if self.operator == "public_acl":
            return any(acl_is_public(v) for v in values) == bool(self.value)
        flat = [item for v in values for item in (v if isinstance(v, list) else [v])]
        if self.operator == "equals":
            return any(_same(v, self.value) for v in flat)
        if self.operator == "in":
            return any(_same(v, option) for v in flat for option in self.value)
        if self.operator == "contains":
            return any(isinstance(v, str) and str(self.value) in v for v in flat)
        return False


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    severity: str
    event_source: tuple[str, ...] = ("*",)
    event_name: tuple[str, ...] = ("*",)
    conditions: tuple[Condition, ...] = field(default=())
    description: str = ""

    def __post_init__(self) -> None:
        # Compiled once per rule: every CloudTrail event of a storm is tried against every rule.
        object.__setattr__(self, "_source_matches", _glob(self.event_source))
        object.__setattr__(self, "_name_matches", _glob(self.event_name))

    def matches(self, record: dict[str, Any]) -> bool:
        return self._matches(record, str(record.get("eventSource", "")), str(record.get("eventName", "")))

    def _matches(self, record: dict[str, Any], source: str, name: str) -> bool:
        return (self._source_matches(source) is not None and self._name_matches(name) is not None
                and all(c.matches(record) for c in self.conditions))


@lru_cache(maxsize=1024)
def _glob(patterns: tuple[str, ...]):
    """One compiled matcher for a rule's shell-style patterns (fnmatchcase for any of them):
    every CloudTrail event of a storm is tried against every rule."""
    return re.compile("|".join(translate(p) for p in patterns)).match


def first_match(rules: list[Rule] | tuple[Rule, ...], record: dict[str, Any]) -> Rule | None:
    """Rules are ordered: the first matching one wins."""
    source, name = str(record.get("eventSource", "")), str(record.get("eventName", ""))
    return next((rule for rule in rules if rule._matches(record, source, name)), None)


def resolve(node: Any, path: str) -> list[Any]:
    """Values at a dotted path; lists along the way fan out (any element may match)."""
    values = [node]
    for part in path.split(".") if path else []:
        step: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    step.append(item[part])
        values = step
    return values


def _same(actual: Any, expected: Any) -> bool:
    """Equality that does not confuse YAML false with 0."""
    return isinstance(actual, bool) == isinstance(expected, bool) and actual == expected


def policy_is_public(policy: Any) -> bool:
    """An Allow statement for Principal "*" / {"AWS": "*"} without a condition that restricts callers."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            principal = principal.get("AWS")
        wildcard = principal == "*" or (isinstance(principal, list) and "*" in principal)
        condition = statement.get("Condition") if isinstance(statement.get("Condition"), dict) else {}
        keys = {str(k).lower() for block in condition.values() if isinstance(block, dict) for k in block}
        if wildcard and not keys & RESTRICTING_KEYS:
            return True
    return False


def acl_is_public(value: Any) -> bool:
    """Grant to the AllUsers/AuthenticatedUsers groups, or a public canned ACL (x-amz-acl)."""
    if isinstance(value, str):
        return any(g in value for g in PUBLIC_GRANTEES) or value in PUBLIC_CANNED_ACLS
    if isinstance(value, dict):
        return any(acl_is_public(v) for v in value.values())
    if isinstance(value, list):
        return any(acl_is_public(v) for v in value)
    return False


def _patterns(value: Any, where: str, key: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise RuleError(f"{where}: '{key}' must be a non-empty string or list of strings")
    return tuple(items)


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: each condition must be a mapping, got {type(raw).__name__}")
    if set(raw) == {"any"}:
        if not isinstance(raw["any"], list) or not raw["any"]:
            raise RuleError(f"{where}: 'any' must be a non-empty list of conditions")
        return Condition(any_of=tuple(_condition(c, f"{where} any[{i}]") for i, c in enumerate(raw["any"])))
    unknown = sorted(set(raw) - {"field", *OPERATORS})
    if unknown:
        raise RuleError(f"{where}: unknown condition key '{unknown[0]}' (allowed: field, any, {', '.join(OPERATORS)})")
    if not isinstance(raw.get("field"), str) or not raw["field"]:
        raise RuleError(f"{where}: condition needs 'field' (a dotted path such as userIdentity.type)")
    ops = [op for op in OPERATORS if op in raw]
    if len(ops) != 1:
        raise RuleError(f"{where}: condition on '{raw['field']}' needs exactly one of {', '.join(OPERATORS)}")
    op, value = ops[0], raw[ops[0]]
    if op == "in" and not isinstance(value, list):
        raise RuleError(f"{where}: 'in' on '{raw['field']}' must be a list")
    if op in ("exists", "public_policy", "public_acl") and not isinstance(value, bool):
        raise RuleError(f"{where}: '{op}' on '{raw['field']}' must be true or false")
    return Condition(field=raw["field"], operator=op, value=value)


def _rule(raw: Any, index: int, source_name: str) -> Rule | None:
    label = raw.get("name") if isinstance(raw, dict) else None
    where = f"{source_name}: rules[{index}]" + (f" ({label})" if isinstance(label, str) else "")
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise RuleError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(RULE_KEYS))})")
    for key in ("name", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RuleError(f"{where}: '{key}' is required and must be a non-empty string")
    if raw.get("severity") not in SEVERITIES:
        raise RuleError(f"{where}: 'severity' must be one of {', '.join(SEVERITIES)}, got {raw.get('severity')!r}")
    if "event_source" not in raw and "event_name" not in raw:
        raise RuleError(f"{where}: needs 'event_source' and/or 'event_name'")
    conditions = raw.get("conditions", [])
    if not isinstance(conditions, list):
        raise RuleError(f"{where}: 'conditions' must be a list")
    if not isinstance(raw.get("enabled", True), bool):
        raise RuleError(f"{where}: 'enabled' must be true or false")
    rule = Rule(
        name=raw["name"], title=raw["title"], severity=raw["severity"],
        event_source=_patterns(raw.get("event_source", "*"), where, "event_source"),
        event_name=_patterns(raw.get("event_name", "*"), where, "event_name"),
        conditions=tuple(_condition(c, f"{where} conditions[{i}]") for i, c in enumerate(conditions)),
        description=str(raw.get("description", "")),
    )
    return rule if raw.get("enabled", True) else None


def load_rules(data: Any, source_name: str = "rules") -> tuple[Rule, ...]:
    """Validate a list of rule mappings (or {"rules": [...]}); raise RuleError naming rule and key."""
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    if not isinstance(data, list):
        raise RuleError(f"{source_name}: expected a list of rules (or a 'rules:' list), got {type(data).__name__}")
    rules = [r for i, raw in enumerate(data) if (r := _rule(raw, i, source_name)) is not None]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RuleError(f"{source_name}: duplicate rule name '{rule.name}'")
        seen.add(rule.name)
    return tuple(rules)


def load_rules_file(path: Path | str) -> tuple[Rule, ...]:
    path = Path(path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{path}: cannot read rules: {exc}") from exc
    return load_rules(data, str(path))


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The shipped rules from config/cloudtrail-rules.yaml (cached; tuples are immutable)."""
    return load_rules_file(DEFAULT_RULES_PATH)


def configured_rules(config):
    """The configured CloudTrail rules; a broken rules file is a configuration problem."""
    try:
        return load_rules_file(config.findings.cloudtrail_rules_path)
    except RuleError as exc:
        raise ConfigError([str(exc)]) from None
