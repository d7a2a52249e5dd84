"""Amazon Macie findings (EventBridge `Macie Finding`, the macie2 API's Finding) -> Finding:
sensitive data and policy findings on S3 buckets and objects."""
from __future__ import annotations

from typing import Any

from core.findings.formats.common import items, label_severity, obj, text, when
from core.findings.indicators import Indicators
from core.findings.model import Finding, FindingError, add_resource


def looks_like_macie(document: dict[str, Any]) -> bool:
    severity = document.get("severity")
    return ("resourcesAffected" in document or "classificationDetails" in document or "policyDetails" in document
            or (isinstance(severity, dict) and "score" in severity and "accountId" in document
                and str(document.get("type", "")).startswith(("Policy:", "SensitiveData:"))))


def parse_macie(finding: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None = None) -> Finding:
    envelope = envelope or {}
    finding_id = text(finding.get("id"))
    if not finding_id:
        raise FindingError("Macie finding without id")
    finding_type = text(finding.get("type")) or "Macie"
    severity_obj = obj(finding.get("severity"))
    severity, score = label_severity(severity_obj.get("description")) or ("informational", 0.0)
    resources: list[dict[str, str]] = []
    tags: dict[str, str] = {}
    affected = obj(finding.get("resourcesAffected"))
    bucket, s3_object = obj(affected.get("s3Bucket")), obj(affected.get("s3Object"))
    name = text(bucket.get("name"))
    bucket_arn = text(bucket.get("arn")) or (name and f"arn:aws:s3:::{name}")
    add_resource(resources, "AwsS3Bucket", bucket_arn)
    if bucket_arn and text(s3_object.get("key")):
        add_resource(resources, "AwsS3Object", f"{bucket_arn}/{s3_object['key']}")
    for tag in items(bucket.get("tags")):
        if isinstance(tag, dict) and text(tag.get("key")):
            tags.setdefault(str(tag["key"]), text(tag.get("value")) or "")
    found = Indicators()
    actor = obj(obj(finding.get("policyDetails")).get("actor"))
    found.add_ip(obj(actor.get("ipAddressDetails")).get("ipAddressV4"))
    identity = obj(actor.get("userIdentity"))
    for kind in ("iamUser", "assumedRole", "federatedUser", "root"):
        found.add("principal", obj(identity.get(kind)).get("arn"))
    for kind in ("iamUser", "assumedRole", "federatedUser"):
        found.add("access_key_id", obj(identity.get(kind)).get("accessKeyId"))
    updated = finding.get("updatedAt")
    count = finding.get("count")
    return Finding(
        id=finding_id,
        source="macie",
        product="Macie",
        type=finding_type,
        title=text(finding.get("title")) or finding_type,
        severity=severity,
        severity_score=score,
        account=text(finding.get("accountId")) or text(envelope.get("account")),
        region=text(finding.get("region")) or text(envelope.get("region")),
        resources=resources,
        indicators=found.as_dict(),
        first_seen=when(finding.get("createdAt"), updated),
        last_seen=when(updated, finding.get("createdAt")),
        count=count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1,
        raw_format=raw_format,
        updated_at=when(updated, finding.get("createdAt"), envelope.get("time")),
        raw=finding,
        tags=tags,
        provider_id=finding_id,
        origin={"id": finding_id},
        state="suppressed" if finding.get("archived") is True else None,
    )
