"""GuardDuty findings (API upper-camel or export lower-camel keys) -> Finding."""
from __future__ import annotations

from typing import Any

from core.findings.indicators import guardduty_indicators
from core.findings.model import LABEL_SCORES, Finding, FindingError, add_resource
from core.findings.sequences import enrich, is_sequence
from core.findings.timeutil import iso_utc

# GuardDuty resourceType -> (details key, normalized type, id field[s]); the primary one is listed first.
_DETAILS = (
    ("Instance", "instanceDetails", "AwsEc2Instance", ("instanceId",)),
    ("AccessKey", "accessKeyDetails", "AwsIamAccessKey", ("accessKeyId",)),
    ("EKSCluster", "eksClusterDetails", "AwsEksCluster", ("arn", "name")),
    ("Lambda", "lambdaDetails", "AwsLambdaFunction", ("functionArn", "functionName")),
    ("RDSDBInstance", "rdsDbInstanceDetails", "AwsRdsDbInstance", ("dbInstanceArn", "dbInstanceIdentifier")),
    ("ECSCluster", "ecsClusterDetails", "AwsEcsCluster", ("arn", "name")),
    ("Container", "containerDetails", "Container", ("id", "name")),
    ("EBSVolume", "ebsVolumeDetails", "AwsEc2Volume", ("volumeArn",)),
)


def lower_keys(node: Any) -> Any:
    """GuardDuty's API says "Service"/"EventFirstSeen", exports say "service"/"eventFirstSeen": unify."""
    if isinstance(node, dict):
        return {(k[:1].lower() + k[1:] if isinstance(k, str) and k[:1].isupper() else k):
                (lower_keys(v) if isinstance(v, (dict, list)) else v) for k, v in node.items()}
    if isinstance(node, list):
        return [lower_keys(item) if isinstance(item, (dict, list)) else item for item in node]
    return node


def _lower_shallow(node: Any) -> Any:
    """lower_keys for the keys of this one object only."""
    if not isinstance(node, dict):
        return node
    return {(k[:1].lower() + k[1:] if isinstance(k, str) and k[:1].isupper() else k): v for k, v in node.items()}


def _unified(raw: dict[str, Any]) -> dict[str, Any]:
    """What parsing reads, with lower-camel keys: the top level, `service`'s own keys, and the
    whole of `resource`. Deeper under `service` (actions, evidence: most of a finding) only the
    indicator walk goes, and it compares keys lower-cased anyway; copying it all cost more than
    the rest of the parse."""
    finding = _lower_shallow(raw)
    if isinstance(finding.get("service"), dict):
        finding["service"] = _lower_shallow(finding["service"])
    if isinstance(finding.get("resource"), dict):
        finding["resource"] = lower_keys(finding["resource"])
    return finding


def looks_like_guardduty(document: dict[str, Any]) -> bool:
    keys = {str(k).lower() for k in document}
    return "type" in keys and ("service" in keys or "resource" in keys) and "severity" in keys


def severity_of(value: Any) -> tuple[str, float]:
    """GuardDuty 0-10 score -> (band, score x10); a text label ("High") is accepted too."""
    if isinstance(value, str) and value.strip().lower() in LABEL_SCORES:
        label = value.strip().lower()
        return label, LABEL_SCORES[label]
    try:
        raw = float(value)
    except (TypeError, ValueError):
        raise FindingError(f"GuardDuty finding with unusable Severity {value!r}") from None
    if raw != raw:  # NaN
        raise FindingError("GuardDuty finding with unusable Severity NaN")
    raw = min(max(raw, 0.0), 10.0)
    band = "low" if raw < 4 else "medium" if raw < 7 else "high" if raw < 9 else "critical"
    return band, round(raw * 10, 1)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _count(value: Any) -> int:
    try:
        return max(int(float(value)), 1)
    except (TypeError, ValueError, OverflowError):
        return 1


def _resources(resource: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, str]]:
    resources: list[dict[str, str]] = []
    tags: dict[str, str] = {}
    primary = resource.get("resourceType")
    ordered = sorted(_DETAILS, key=lambda d: d[0] != primary)
    buckets = resource.get("s3BucketDetails")
    bucket_list = buckets if isinstance(buckets, list) else []
    if primary == "S3Bucket":  # buckets first when they are the primary resource
        _add_buckets(resources, tags, bucket_list)
    for _, key, rtype, id_fields in ordered:
        details = resource.get(key)
        if not isinstance(details, dict):
            continue
        add_resource(resources, rtype, next((details[f] for f in id_fields if _text(details.get(f))), None))
        _merge_tags(tags, details.get("tags"))
    _add_buckets(resources, tags, bucket_list)
    return resources, tags


def _add_buckets(resources: list[dict[str, str]], tags: dict[str, str], buckets: list[Any]) -> None:
    for bucket in buckets:
        if isinstance(bucket, dict):
            name = _text(bucket.get("name"))
            add_resource(resources, "AwsS3Bucket", _text(bucket.get("arn")) or (name and f"arn:aws:s3:::{name}"))
            _merge_tags(tags, bucket.get("tags"))


def _merge_tags(tags: dict[str, str], value: Any) -> None:
    """GuardDuty tags are [{"key": k, "value": v}]; the first (primary) resource wins a clash."""
    for tag in value if isinstance(value, list) else []:
        if isinstance(tag, dict) and _text(tag.get("key")):
            tags.setdefault(str(tag["key"]), "" if tag.get("value") is None else str(tag.get("value")))


def parse_guardduty(raw: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None = None) -> Finding:
    """`envelope` (the EventBridge event) supplies account/region when the detail lacks them."""
    finding = _unified(raw)
    envelope = envelope or {}
    finding_id = _text(finding.get("id"))
    if not finding_id:
        raise FindingError("GuardDuty finding without Id")
    finding_type = _text(finding.get("type"))
    if not finding_type:
        raise FindingError(f"GuardDuty finding {finding_id} without Type")
    severity, score = severity_of(finding.get("severity"))
    service = finding.get("service") if isinstance(finding.get("service"), dict) else {}
    resource = finding.get("resource") if isinstance(finding.get("resource"), dict) else {}
    resources, tags = _resources(resource)
    created, updated = finding.get("createdAt"), finding.get("updatedAt")
    parsed = Finding(
        id=finding_id,
        source="guardduty",
        product="guardduty",
        type=finding_type,
        title=_text(finding.get("title")) or finding_type,
        severity=severity,
        severity_score=score,
        account=_text(finding.get("accountId")) or _text(envelope.get("account")),
        region=_text(finding.get("region")) or _text(envelope.get("region")),
        resources=resources,
        indicators=guardduty_indicators(finding),
        first_seen=iso_utc(service.get("eventFirstSeen"), created, updated),
        last_seen=iso_utc(service.get("eventLastSeen"), updated, service.get("eventFirstSeen"), created),
        count=_count(service.get("count", 1)),
        raw_format=raw_format,
        updated_at=iso_utc(updated, service.get("eventLastSeen"), created),
        raw=raw,
        tags=tags,
    )
    return enrich(parsed) if is_sequence(finding_type) else parsed  # its signals, resources, actors, endpoints
