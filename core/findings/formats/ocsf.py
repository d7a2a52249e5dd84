"""OCSF findings (classes 2001-2006, OCSF 1.0 to 1.6 and later) -> Finding: what the new
Security Hub sends (`Findings Imported V2`, GetFindingsV2) and Security Lake stores.

OCSF 1.0 (class 2001, Security Lake's first schema) keeps the finding under `finding` and the
account in `cloud.account_uid`; 1.1+ use `finding_info` and `cloud.account.uid`. Both are read."""
from __future__ import annotations

import re
from typing import Any

from core.findings.formats.common import (instance_id, items, label_severity, obj, resource_id, resource_type,
                                          text, when)
from core.findings.indicators import Indicators
from core.findings.model import LABEL_SCORES, Finding, FindingError, add_resource

FINDING_CLASSES = {2001: "Security Finding", 2002: "Vulnerability Finding", 2003: "Compliance Finding",
                   2004: "Detection Finding", 2005: "Incident Finding", 2006: "Data Security Finding"}
SEVERITY_IDS = {1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical", 6: "critical"}  # 6 fatal
CLOSED = {3: "suppressed", 4: "resolved"}  # status_id (1.1+) and state_id (1.0)
_PRODUCTS = {"guardduty": "guardduty", "inspector": "inspector", "macie": "macie", "security hub": "securityhub",
             "securityhub": "securityhub", "iam access analyzer": "access-analyzer",
             "access-analyzer": "access-analyzer", "accessanalyzer": "access-analyzer"}
_PRODUCT_PATH = re.compile(r":productv?2?/aws/([a-z0-9-]+)")
_ACCESS_KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,}$")


def looks_like_ocsf(document: dict[str, Any]) -> bool:
    return isinstance(document.get("class_uid"), int) and isinstance(document.get("metadata"), dict) and (
        "finding_info" in document or "finding" in document or 2000 <= document["class_uid"] < 3000)


def _info(document: dict[str, Any]) -> dict[str, Any]:
    return obj(document.get("finding_info")) or obj(document.get("finding"))


def source_of(metadata: dict[str, Any]) -> str:
    product = obj(metadata.get("product"))
    name = (text(product.get("name")) or "").lower()
    if name in _PRODUCTS:
        return _PRODUCTS[name]
    match = _PRODUCT_PATH.search(text(product.get("uid")) or "")
    if match:
        return _PRODUCTS.get(match.group(1), match.group(1))
    return re.sub(r"\s+", "-", name) if name else "ocsf"


def severity_of(document: dict[str, Any]) -> tuple[str, float]:
    severity_id = document.get("severity_id")
    if severity_id in SEVERITY_IDS:
        label = SEVERITY_IDS[severity_id]
        return label, LABEL_SCORES[label]
    found = label_severity(document.get("severity"))  # 0 unknown / 99 other: the vendor's label
    return found if found else ("informational", LABEL_SCORES["informational"])


def parse_ocsf(document: dict[str, Any], raw_format: str, envelope: dict[str, Any] | None = None) -> Finding:
    envelope = envelope or {}
    class_uid = document.get("class_uid")
    if class_uid not in FINDING_CLASSES:
        raise FindingError(f"OCSF class {class_uid!r} ({document.get('class_name') or 'unnamed'}) is not a "
                           "finding class (2001-2006)")
    metadata, info, cloud = obj(document.get("metadata")), _info(document), obj(document.get("cloud"))
    provider_id = text(info.get("uid"))
    finding_id = text(metadata.get("uid")) or provider_id
    if not finding_id:
        raise FindingError("OCSF finding without metadata.uid or finding_info.uid")
    types = [t for t in (text(t) for t in items(info.get("types"))) if t]
    finding_type = types[0] if types else text(document.get("class_name")) or FINDING_CLASSES[class_uid]
    severity, score = severity_of(document)
    resources, tags, found = _resources(document)
    _evidence(found, document)
    product = obj(metadata.get("product"))
    account = text(obj(cloud.get("account")).get("uid")) or text(cloud.get("account_uid")) or text(
        envelope.get("account"))
    state = CLOSED.get(document.get("status_id")) or CLOSED.get(document.get("state_id"))
    return Finding(
        id=finding_id,
        source=source_of(metadata),
        product=text(product.get("name")) or text(product.get("uid")) or "OCSF",
        type=finding_type,
        title=text(info.get("title")) or finding_type,
        severity=severity,
        severity_score=score,
        account=account,
        region=text(cloud.get("region")) or text(envelope.get("region")),
        resources=resources,
        indicators=found.as_dict(),
        first_seen=when(info.get("first_seen_time_dt"), info.get("first_seen_time"), info.get("created_time"),
                        document.get("time")),
        last_seen=when(info.get("last_seen_time_dt"), info.get("last_seen_time"), info.get("modified_time"),
                       document.get("time")),
        count=_count(document.get("count")),
        raw_format=raw_format,
        updated_at=when(info.get("modified_time_dt"), info.get("modified_time"), document.get("time_dt"),
                        document.get("time"), info.get("created_time")),
        raw=document,
        tags=tags,
        provider_id=provider_id,
        origin={"metadata_uid": text(metadata.get("uid")), "finding_info_uid": provider_id,
                "product_uid": text(product.get("uid")), "account": account},
        state=state,
    )


def _count(value: Any) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError, OverflowError):
        return 1


def _resources(document: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, str], Indicators]:
    resources: list[dict[str, str]] = []
    tags: dict[str, str] = {}
    found = Indicators()
    listed = items(document.get("resources")) or ([document["resource"]] if isinstance(document.get("resource"),
                                                                                        dict) else [])
    for resource in listed:
        if not isinstance(resource, dict):
            continue
        rtype, uid = resource_type(resource.get("type")), text(resource.get("uid"))
        if uid:
            add_resource(resources, rtype, resource_id(rtype, uid))
            found.add("instance_id", instance_id(rtype, uid))
            if rtype == "AwsIamAccessKey" or _ACCESS_KEY.match(uid):
                found.add("access_key_id", uid)
            if rtype in ("AwsIamUser", "AwsIamRole"):
                found.add("principal", uid)
        data = obj(resource.get("data"))
        found.add("access_key_id", data.get("access_key_id"))
        if rtype == "AwsIamAccessKey":
            found.add("principal", data.get("user_name") or text(obj(resource.get("user")).get("name"))
                      or resource.get("name"))
        for tag in items(resource.get("tags")):  # [{"name", "value"}]; the first resource wins a clash
            if isinstance(tag, dict) and text(tag.get("name")):
                tags.setdefault(str(tag["name"]), text(tag.get("value")) or "")
        for label in items(resource.get("labels")):  # OCSF 1.0: ["key=value"]
            if isinstance(label, str) and "=" in label:
                key, _, value = label.partition("=")
                tags.setdefault(key, value)
    return resources, tags, found


_ENDPOINT_KEYS = frozenset({"src_endpoint", "dst_endpoint"})


def _evidence(found: Indicators, document: dict[str, Any]) -> None:
    """Remote endpoints, actors and keys in `evidences`; typed `observables`; CVEs and packages."""
    for evidence in items(document.get("evidences")):
        if not isinstance(evidence, dict):
            continue
        for side in _ENDPOINT_KEYS:
            endpoint = obj(evidence.get(side))
            found.add_ip(endpoint.get("ip"))
            found.add_domain(endpoint.get("domain") or endpoint.get("hostname"))
        user = obj(obj(evidence.get("actor")).get("user"))
        found.add("principal", user.get("uid") or user.get("name"))
        found.add("access_key_id", user.get("credential_uid"))
    for observable in items(document.get("observables")):
        if not isinstance(observable, dict):
            continue
        kind, value = (text(observable.get("type")) or "").lower(), text(observable.get("value"))
        if not value:
            continue
        if kind == "ip address":
            found.add_ip(value)
        elif kind in ("hostname", "domain"):
            found.add_domain(value)
        elif kind == "user name":
            found.add("principal", value)
        elif kind == "resource uid":
            found.add("instance_id", instance_id("AwsEc2Instance", value))
            if _ACCESS_KEY.match(value):
                found.add("access_key_id", value)
    for vulnerability in items(document.get("vulnerabilities")):
        if isinstance(vulnerability, dict):
            found.add("cve", obj(vulnerability.get("cve")).get("uid"))
            for package in items(vulnerability.get("affected_packages")) + items(vulnerability.get("packages")):
                if isinstance(package, dict):
                    found.add("package", package.get("name"))


def exploitable(document: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and v.get("is_exploit_available") is True
               for v in items(document.get("vulnerabilities")))
