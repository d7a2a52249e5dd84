"""Containment a finding suggests: the catalog actions whose targets the finding names.
Shown as a "Contain…" menu on triage messages of findings that belong to an incident."""

from __future__ import annotations

from typing import Any

MAX_SUGGESTIONS = 8


def _name(resource_id: str) -> str:
    return resource_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def suggestions(indicators: dict[str, list[str]], resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(action, target) pairs in a stable order, so a menu index picks the same one later."""
    found: list[tuple[str, str]] = []
    for instance in indicators.get("instance_id", []):
        found += [("isolate-instance", instance), ("snapshot-instance", instance)]
    found += [("disable-access-key", key) for key in indicators.get("access_key_id", [])]
    found += [("block-ip", ip) for ip in indicators.get("ip", [])]
    for resource in resources:
        kind, rid = resource.get("type", ""), str(resource.get("id", ""))
        if kind == "AwsS3Bucket" and rid:
            found.append(("block-public-s3", _name(rid)))
        elif kind == "AwsLambdaFunction" and rid:
            found.append(("disable-lambda", _name(rid)))
    for principal in indicators.get("principal", []):
        if ":user/" in principal:
            found.append(("quarantine-user", _name(principal)))
        elif ":role/" in principal:
            found.append(("quarantine-role", _name(principal)))
    return list(dict.fromkeys(found))[:MAX_SUGGESTIONS]
