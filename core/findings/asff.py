"""Security Hub findings (AWS Security Finding Format, ASFF) -> Finding."""
from __future__ import annotations

import re
from typing import Any

from core.findings.indicators import asff_indicators
from core.findings.sequences import PREFIX as SEQUENCE_PREFIX
from core.findings.model import LABEL_SCORES, Finding, FindingError, add_resource, severity_from_normalized
from core.findings.timeutil import iso_utc

# Product path (after "product/" in ProductArn) or ProductName -> source.
_KNOWN_SOURCES = {
    "aws/guardduty": "guardduty", "guardduty": "guardduty",
    "aws/inspector": "inspector", "inspector": "inspector", "amazon inspector": "inspector",
    "aws/macie": "macie", "macie": "macie", "amazon macie": "macie",
    "aws/access-analyzer": "access-analyzer", "iam access analyzer": "access-analyzer",
    "access analyzer": "access-analyzer",
    "aws/securityhub": "securityhub", "security hub": "securityhub",
}
_ARN_REGION = re.compile(r"^arn:[^:]*:[^:]*:([a-z0-9-]+):")


def looks_like_asff(document: dict[str, Any]) -> bool:
    return "ProductArn" in document or ("SchemaVersion" in document and "AwsAccountId" in document)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def product_name(finding: dict[str, Any]) -> str | None:
    fields = finding.get("ProductFields") if isinstance(finding.get("ProductFields"), dict) else {}
    return _text(finding.get("ProductName")) or _text(fields.get("aws/securityhub/ProductName"))


def source_of(finding: dict[str, Any]) -> str:
    """guardduty / inspector / macie / access-analyzer / securityhub, else the lower-cased product name."""
    arn = _text(finding.get("ProductArn")) or ""
    path = arn.split(":product/", 1)[1].lower() if ":product/" in arn else ""
    name = (product_name(finding) or "").lower()
    for key in (path, name):
        if key in _KNOWN_SOURCES:
            return _KNOWN_SOURCES[key]
    generator = (_text(finding.get("GeneratorId")) or "").lower()
    if generator.startswith(("arn:aws:guardduty", "arn:aws:inspector", "arn:aws:macie", "arn:aws:access-analyzer")):
        return generator.split(":")[2]
    if generator.startswith(("aws-foundational", "security-control/", "cis-aws", "arn:aws:securityhub")):
        return "securityhub"
    if name:
        return re.sub(r"\s+", "-", name)
    return path.rsplit("/", 1)[-1] if path else "securityhub"


def severity_of(severity: Any, provider: Any = None) -> tuple[str, float]:
    """Label first (score = Normalized or the label's standard score), then Normalized, then Product."""
    severity = severity if isinstance(severity, dict) else {}
    provider = provider if isinstance(provider, dict) else {}
    normalized = _number(severity.get("Normalized"))
    for label in (severity.get("Label"), provider.get("Label")):
        if isinstance(label, str) and label.strip().lower() in LABEL_SCORES:
            label = label.strip().lower()
            return label, normalized if normalized is not None else LABEL_SCORES[label]
    for score in (normalized, _number(severity.get("Product"))):
        if score is not None:
            return severity_from_normalized(score), score
    raise FindingError("Security Hub finding without a usable Severity (Label, Normalized or Product)")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:
        return None
    return round(min(max(number, 0.0), 100.0), 1)


def _region(finding: dict[str, Any], envelope: dict[str, Any]) -> str | None:
    region = _text(finding.get("Region"))
    if region:
        return region
    match = _ARN_REGION.match(_text(finding.get("ProductArn")) or "")
    if match:
        return match.group(1)
    for resource in finding.get("Resources") or []:
        if isinstance(resource, dict) and _text(resource.get("Region")):
            return _text(resource.get("Region"))
    return _text(envelope.get("region"))


def _guardduty_sequence_type(types: Any) -> str | None:
    """GuardDuty writes its type into ASFF Types as the classifier of namespace/category/classifier,
    its "/" turned into "-" (UnauthorizedAccess:EC2-SSHBruteForce in the published sample). An
    attack sequence's copy gets its GuardDuty type back (AttackSequence:IAM/CompromisedCredentials),
    so routes, the triage message and the native copy all know it as one."""
    for entry in types if isinstance(types, list) else [types]:
        classifier = (_text(entry) or "").rsplit("/", 1)[-1]
        if classifier.startswith(SEQUENCE_PREFIX):
            head, dash, rest = classifier.partition("-")
            return f"{head}/{rest}" if dash and rest else classifier
    return None


def _count(finding: dict[str, Any]) -> int:
    fields = finding.get("ProductFields") if isinstance(finding.get("ProductFields"), dict) else {}
    try:
        return max(int(float(fields.get("aws/guardduty/service/count", 1))), 1)
    except (TypeError, ValueError, OverflowError):
        return 1


def parse_asff(finding: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None = None) -> Finding:
    envelope = envelope or {}
    finding_id = _text(finding.get("Id"))
    if not finding_id:
        raise FindingError("Security Hub finding without Id")
    types = finding.get("Types")
    finding_type = (_text(types[0]) if isinstance(types, list) and types else _text(types)) or _text(
        finding.get("GeneratorId")) or "Unknown"
    if source_of(finding) == "guardduty":
        finding_type = _guardduty_sequence_type(types) or finding_type
    provider = finding.get("FindingProviderFields")
    severity, score = severity_of(
        finding.get("Severity"), provider.get("Severity") if isinstance(provider, dict) else None)
    resources: list[dict[str, str]] = []
    tags: dict[str, str] = {}
    for resource in finding.get("Resources") or []:
        if isinstance(resource, dict):
            add_resource(resources, resource.get("Type"), _text(resource.get("Id")))
            for key, value in (resource.get("Tags") if isinstance(resource.get("Tags"), dict) else {}).items():
                tags.setdefault(str(key), "" if value is None else str(value))  # first resource wins
    created, updated = finding.get("CreatedAt"), finding.get("UpdatedAt")
    return Finding(
        id=finding_id,
        source=source_of(finding),
        product=product_name(finding) or _text(finding.get("ProductArn")) or "Security Hub",
        type=finding_type,
        title=_text(finding.get("Title")) or finding_type,
        severity=severity,
        severity_score=score,
        account=_text(finding.get("AwsAccountId")) or _text(envelope.get("account")),
        region=_region(finding, envelope),
        resources=resources,
        indicators=asff_indicators(finding),
        first_seen=iso_utc(finding.get("FirstObservedAt"), created, updated),
        last_seen=iso_utc(finding.get("LastObservedAt"), updated, created),
        count=_count(finding),
        raw_format=raw_format,
        updated_at=iso_utc(updated, finding.get("LastObservedAt"), created),
        raw=finding,
        tags=tags,
    )
