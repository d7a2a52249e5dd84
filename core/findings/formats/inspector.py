"""Amazon Inspector findings (EventBridge `Inspector2 Finding`, the API's Finding) -> Finding:
package vulnerabilities, code vulnerabilities and network reachability on EC2, ECR and Lambda.
CVE ids and package names become indicators; the instances and functions, resources."""
from __future__ import annotations

from typing import Any

from core.findings.formats.common import instance_id, items, label_severity, obj, resource_type, text, when
from core.findings.indicators import Indicators
from core.findings.model import Finding, FindingError, add_resource

CLOSED = {"CLOSED": "resolved", "SUPPRESSED": "suppressed"}


def looks_like_inspector(document: dict[str, Any]) -> bool:
    return "findingArn" in document and ("awsAccountId" in document or "inspectorScore" in document
                                         or "packageVulnerabilityDetails" in document)


def severity_of(finding: dict[str, Any]) -> tuple[str, float]:
    found = label_severity(finding.get("severity")) or ("informational", 0.0)  # UNTRIAGED: not yet rated
    score = finding.get("inspectorScore")
    if isinstance(score, (int, float)) and not isinstance(score, bool) and 0 <= score <= 10:
        return found[0], round(float(score) * 10, 1)
    return found


def parse_inspector(finding: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None = None) -> Finding:
    envelope = envelope or {}
    arn = text(finding.get("findingArn"))
    if not arn:
        raise FindingError("Inspector finding without findingArn")
    finding_type = text(finding.get("type")) or "Inspector"
    severity, score = severity_of(finding)
    found = Indicators()
    resources: list[dict[str, str]] = []
    tags: dict[str, str] = {}
    region = None
    for resource in items(finding.get("resources")):
        if not isinstance(resource, dict):
            continue
        rtype, uid = resource_type(resource.get("type")), text(resource.get("id"))
        if uid:
            add_resource(resources, rtype, uid)
            found.add("instance_id", instance_id(rtype, uid))
        region = region or text(resource.get("region"))
        for key, value in obj(resource.get("tags")).items():
            tags.setdefault(str(key), text(value) or "")
    package = obj(finding.get("packageVulnerabilityDetails"))
    found.add("cve", package.get("vulnerabilityId"))
    for vulnerable in items(package.get("vulnerablePackages")):
        if isinstance(vulnerable, dict):
            found.add("package", vulnerable.get("name"))
    updated = finding.get("updatedAt")
    return Finding(
        id=arn,
        source="inspector",
        product="Inspector",
        type=finding_type,
        title=text(finding.get("title")) or finding_type,
        severity=severity,
        severity_score=score,
        account=text(finding.get("awsAccountId")) or text(envelope.get("account")),
        region=region or text(envelope.get("region")),
        resources=resources,
        indicators=found.as_dict(),
        first_seen=when(finding.get("firstObservedAt"), updated),
        last_seen=when(finding.get("lastObservedAt"), updated),
        count=1,
        raw_format=raw_format,
        updated_at=when(updated, finding.get("lastObservedAt"), envelope.get("time")),
        raw=finding,
        tags=tags,
        provider_id=arn,
        origin={"finding_arn": arn},
        state=CLOSED.get(text(finding.get("status")) or ""),
    )


def exploitable(finding: dict[str, Any]) -> bool:
    return text(finding.get("exploitAvailable")) == "YES"
