"""Small readers shared by the 2024+ formats (OCSF, Inspector, Macie): text, numbers, resource
types, severity labels. Each format's own module decides what its fields mean."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from core.findings.model import LABEL_SCORES
from core.findings.timeutil import iso_utc

_AWS_SERVICE_NAME = {"ec2": "Ec2", "iam": "Iam", "s3": "S3", "ecr": "Ecr", "eks": "Eks", "ecs": "Ecs",
                     "rds": "Rds", "sqs": "Sqs", "sns": "Sns", "kms": "Kms", "lambda": "Lambda"}
_INSTANCE_ARN = re.compile(r":instance/(i-[0-9a-zA-Z]+)$")
# Inspector's "Wed Sep 04 16:59:44.356 UTC 2024" (its EventBridge events; the API says ISO 8601)
_JAVA_DATE = re.compile(r"^[A-Z][a-z]{2} ([A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC (\d{4})$")


def text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return value or None


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def resource_type(kind: Any) -> str:
    """AWS::EC2::Instance and AWS_EC2_INSTANCE -> AwsEc2Instance (the ASFF names the rest of
    Firebreak uses); anything else as given."""
    kind = text(kind) or "Other"
    if "::" in kind:
        parts = kind.split("::")
    elif "_" in kind and kind.isupper():
        parts = kind.split("_")
    else:
        return kind
    return "".join(_AWS_SERVICE_NAME.get(p.lower(), p[:1].upper() + p[1:].lower() if p.isupper() else p)
                   for p in parts)


def resource_id(rtype: str, uid: str) -> str:
    """A bucket named bare becomes its ARN, as GuardDuty's buckets are (containment keys on it)."""
    if rtype == "AwsS3Bucket" and not uid.startswith("arn:"):
        return f"arn:aws:s3:::{uid}"
    return uid


def instance_id(rtype: str, uid: str) -> str | None:
    if rtype != "AwsEc2Instance":
        return None
    if uid.startswith("i-"):
        return uid
    match = _INSTANCE_ARN.search(uid)
    return match.group(1) if match else None


def label_severity(label: Any) -> tuple[str, float] | None:
    label = (text(label) or "").lower()
    if label == "fatal":
        label = "critical"
    if label in LABEL_SCORES:
        return label, LABEL_SCORES[label]
    return None


def when(*candidates: Any) -> str | None:
    """iso_utc, also reading Inspector's event dates."""
    converted = []
    for candidate in candidates:
        match = _JAVA_DATE.match(candidate.strip()) if isinstance(candidate, str) else None
        if match:
            try:
                candidate = datetime.strptime(f"{match.group(1)} {match.group(2)}",
                                              "%b %d %H:%M:%S.%f %Y" if "." in match.group(1)
                                              else "%b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
            except ValueError:
                candidate = None
        converted.append(candidate)
    return iso_utc(*converted)
