"""Values for a contain step's target placeholders, taken from the incident's findings."""

from __future__ import annotations

from core.services import Services

_INDICATORS = {"instance_id": "instance_id", "access_key_id": "access_key_id", "ip": "ip", "domain": "domain",
               "principal": "principal"}
_RESOURCES = {"AwsS3Bucket": "bucket", "AwsLambdaFunction": "function", "AwsIamRole": "role", "AwsIamUser": "user"}


def _name(resource_id: str) -> str:
    """arn:aws:s3:::bucket → bucket; arn:aws:iam::1:role/path/name → name."""
    return resource_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def targets_for(services: Services, incident_id: int) -> dict[str, str]:
    """The first value of each kind, in the order the findings were first seen."""
    found: dict[str, str] = {}
    for finding in services.repos.findings.linked(incident_id):
        for placeholder, key in _INDICATORS.items():
            values = finding.indicators.get(key) or []
            if values and placeholder not in found:
                found[placeholder] = values[0]
        for resource in finding.resources:
            placeholder = _RESOURCES.get(resource.get("type", ""))
            if placeholder and resource.get("id") and placeholder not in found:
                found[placeholder] = _name(resource["id"])
        principal = found.get("principal", "")
        if ":user/" in principal:
            found.setdefault("user", _name(principal))
        if ":role/" in principal or ":assumed-role/" in principal:
            found.setdefault("role", principal.split("/")[1] if ":assumed-role/" in principal else _name(principal))
    return found
