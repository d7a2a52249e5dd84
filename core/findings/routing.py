"""Routing rules: which channel a finding goes to, whether it declares an incident or is
suppressed. First matching route wins; no match posts to the triage channel."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from core.errors import ConfigError
from core.findings.config import Route, RouteMatch
from core.findings.model import SEVERITIES, Finding

DEFAULT_ROUTE = "default"
SEQUENCE_ROUTE = "attack-sequences"  # the shipped route of findings.attack_sequences


@dataclass(frozen=True)
class Decision:
    route: str
    action: str  # post | declare | suppress
    channel: str | None  # None when suppressed
    incident_severity: str | None = None
    category: str | None = None
    digest: bool = False  # every finding into the window's digest (the route's `digest`)


def matches(match: RouteMatch, finding: Finding) -> bool:
    rank = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 0
    checks = (
        not match.source or finding.source in match.source,
        not match.type or any(fnmatchcase(finding.type, pattern) for pattern in match.type),
        match.min_severity is None or rank >= SEVERITIES.index(match.min_severity),
        not match.severity or finding.severity in match.severity,
        not match.account or finding.account in match.account,
        not match.region or finding.region in match.region,
        all(finding.tags.get(key) == value for key, value in match.tags.items()),
    )
    return all(checks)


class Router:
    def __init__(self, routes: list[Route], triage_channel: str, severity_map: dict[str, str]):
        self.routes = routes
        self.triage_channel = triage_channel
        self.severity_map = severity_map

    @classmethod
    def from_config(cls, config) -> "Router":
        """Check what pydantic cannot see alone: names and severities across sections."""
        severities, categories = config.incidents.severity_names, config.incidents.categories
        problems = []
        names = [r.name for r in config.findings.routes]
        if len(set(names)) != len(names):
            problems.append(f"findings.routes: route names must be unique, got {names}")
        for implicit in (DEFAULT_ROUTE, SEQUENCE_ROUTE):
            if implicit in names:
                problems.append(f"findings.routes: {implicit!r} is the name of an implicit route")
        sequences = config.findings.attack_sequences
        if sequences.incident_severity and sequences.incident_severity not in severities:
            problems.append(f"findings.attack_sequences.incident_severity: {sequences.incident_severity!r} is not "
                            f"one of incidents.severities {severities}")
        if sequences.category and sequences.category not in categories:
            problems.append(f"findings.attack_sequences.category: {sequences.category!r} is not one of "
                            f"incidents.categories {categories}")
        for i, route in enumerate(config.findings.routes):
            if route.incident_severity and route.incident_severity not in severities:
                problems.append(f"findings.routes[{i}].incident_severity: {route.incident_severity!r} is not "
                                f"one of incidents.severities {severities}")
            if route.category and route.category not in categories:
                problems.append(f"findings.routes[{i}].category: {route.category!r} is not one of "
                                f"incidents.categories {categories}")
        for level in SEVERITIES:
            if config.findings.severity_map.get(level) not in severities:
                problems.append(f"findings.severity_map.{level}: must name one of incidents.severities "
                                f"{severities}, got {config.findings.severity_map.get(level)!r}")
        unknown = sorted(set(config.findings.severity_map) - set(SEVERITIES))
        if unknown:
            problems.append(f"findings.severity_map: unknown finding severities {unknown}; use {list(SEVERITIES)}")
        if problems:
            raise ConfigError(problems)
        routes = list(config.findings.routes)
        if sequences.declare:
            routes.append(Route(name=SEQUENCE_ROUTE, match=RouteMatch(type=list(sequences.match)), action="declare",
                                channel=sequences.channel, incident_severity=sequences.incident_severity,
                                category=sequences.category))
        shipped = config.findings.vulnerabilities
        if shipped.enabled and all(r.name != shipped.route().name for r in routes):
            routes.append(shipped.route())  # after yours: a route of yours may take them first
        return cls(routes, config.slack.triage_channel, dict(config.findings.severity_map))

    def route(self, finding: Finding) -> Decision:
        for route in self.routes:
            if matches(route.match, finding):
                if route.action == "suppress":
                    return Decision(route.name, "suppress", None)
                severity = route.incident_severity or self.severity_map.get(finding.severity)
                return Decision(route.name, route.action, route.channel or self.triage_channel,
                                severity if route.action == "declare" else None, route.category,
                                route.digest)
        return Decision(DEFAULT_ROUTE, "post", self.triage_channel)

    def incident_severity(self, finding_severity: str) -> str | None:
        return self.severity_map.get(finding_severity)

    def category(self, route_name: str | None) -> str | None:
        """The category a route gives its incidents (None: incidents.default_category)."""
        return next((r.category for r in self.routes if r.name == route_name), None)
