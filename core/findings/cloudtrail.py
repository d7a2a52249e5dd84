"""CloudTrail management events (raw records or EventBridge detail) -> Finding via detection rules."""
from __future__ import annotations

from typing import Any

from core.findings.cloudtrail_rules import Rule, first_match
from core.findings.indicators import cloudtrail_indicators
from core.findings.model import LABEL_SCORES, Finding, FindingError, add_resource
from core.findings.timeutil import iso_utc


class NoRuleMatched(FindingError):
    """A valid CloudTrail event that no detection rule selects: not an error, just not a finding."""


def looks_like_cloudtrail(document: dict[str, Any]) -> bool:
    """S3/SQS notification records also have eventSource/eventName, but as "aws:s3", "aws:sqs"."""
    source = document.get("eventSource")
    return isinstance(source, str) and not source.startswith("aws:") and "eventName" in document


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _resource_type(cloudtrail_type: Any) -> str:
    """AWS::S3::Bucket -> AwsS3Bucket (the ASFF spelling)."""
    parts = [p for p in str(cloudtrail_type or "").split("::") if p]
    return "".join(p.capitalize() if p.isupper() else p for p in parts) or "Other"


def _resources(record: dict[str, Any], account: str | None) -> list[dict[str, str]]:
    resources: list[dict[str, str]] = []
    for item in record.get("resources") or []:
        if isinstance(item, dict):
            add_resource(resources, _resource_type(item.get("type")), _text(item.get("ARN") or item.get("arn")))
    params = record.get("requestParameters") if isinstance(record.get("requestParameters"), dict) else {}
    response = record.get("responseElements") if isinstance(record.get("responseElements"), dict) else {}
    source = str(record.get("eventSource", ""))
    bucket = _text(params.get("bucketName"))
    if bucket:
        add_resource(resources, "AwsS3Bucket", f"arn:aws:s3:::{bucket}")
    if source == "cloudtrail.amazonaws.com":
        add_resource(resources, "AwsCloudTrailTrail", _text(params.get("name") or params.get("trailName")))
    if source == "guardduty.amazonaws.com":
        add_resource(resources, "AwsGuardDutyDetector", _text(params.get("detectorId")))
    if source == "kms.amazonaws.com":
        add_resource(resources, "AwsKmsKey", _text(params.get("keyId")))
    if source == "ec2.amazonaws.com":
        add_resource(resources, "AwsEc2SecurityGroup", _text(params.get("groupId")))
    access_key = response.get("accessKey") if isinstance(response.get("accessKey"), dict) else {}
    add_resource(resources, "AwsIamAccessKey", _text(access_key.get("accessKeyId")))
    if source == "iam.amazonaws.com":
        add_resource(resources, "AwsIamUser", _text(params.get("userName")))
        add_resource(resources, "AwsIamRole", _text(params.get("roleName")))
    if not resources:  # e.g. console sign-in: the identity itself is what is at stake
        _add_identity(resources, record, account)
    return resources


def _add_identity(resources: list[dict[str, str]], record: dict[str, Any], account: str | None) -> None:
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    kind = identity.get("type")
    if kind == "Root":
        add_resource(resources, "AwsAccount", f"AWS::::Account:{account}" if account else None)
    elif kind == "AssumedRole":
        context = identity.get("sessionContext") if isinstance(identity.get("sessionContext"), dict) else {}
        issuer = context.get("sessionIssuer") if isinstance(context.get("sessionIssuer"), dict) else {}
        add_resource(resources, "AwsIamRole", _text(issuer.get("arn")) or _text(identity.get("arn")))
    elif kind == "IAMUser":
        add_resource(resources, "AwsIamUser", _text(identity.get("arn")) or _text(identity.get("userName")))


def parse_cloudtrail(record: dict[str, Any], rules: list[Rule] | tuple[Rule, ...],
                     envelope: dict[str, Any] | None = None) -> Finding:
    envelope = envelope or {}
    event_id = _text(record.get("eventID"))
    event_name = _text(record.get("eventName"))
    if not event_name:
        raise FindingError("CloudTrail event without eventName")
    if not event_id:
        raise FindingError(f"CloudTrail event {event_name} without eventID")
    rule = first_match(rules, record)
    if rule is None:
        raise NoRuleMatched(f"CloudTrail event {event_name} matched no detection rule")
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    account = (_text(record.get("recipientAccountId")) or _text(envelope.get("account"))
               or _text(identity.get("accountId")))
    seen = iso_utc(record.get("eventTime"), envelope.get("time"))
    return Finding(
        id=event_id,
        source="cloudtrail",
        product="cloudtrail",
        type=event_name,
        title=rule.title,
        severity=rule.severity,
        severity_score=LABEL_SCORES[rule.severity],
        account=account,
        region=_text(record.get("awsRegion")) or _text(envelope.get("region")),
        resources=_resources(record, account),
        indicators=cloudtrail_indicators(record),
        first_seen=seen,
        last_seen=seen,
        count=1,
        raw_format="cloudtrail-event",
        updated_at=seen,
        raw=record,
        tags={},
        rule=rule.name,
    )
