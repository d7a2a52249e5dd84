"""Indicator extraction (IPs, domains, access keys, principals, instance ids) per source format."""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

from core.findings.model import INDICATOR_KINDS, VULNERABILITY_KINDS

_INSTANCE_ID = re.compile(r"\bi-[0-9a-zA-Z]{1,17}\b")
_IP_KEYS = frozenset({"ipaddressv4", "ipaddressv6", "sourceipv4", "sourceipv6", "destinationipv4", "destinationipv6"})


class Indicators:
    """Collects indicator values; `as_dict()` gives them validated, deduplicated and sorted."""

    def __init__(self) -> None:
        self._values: dict[str, set[str]] = {kind: set() for kind in INDICATOR_KINDS + VULNERABILITY_KINDS}

    def add_ip(self, value: Any) -> None:
        """Keep only real addresses; 0.0.0.0 / loopback carry no investigative value."""
        if isinstance(value, str) and (address := _address(value)) is not None:
            self._values["ip"].add(address)

    def add_domain(self, value: Any) -> None:
        if isinstance(value, str) and value.strip(" ."):
            self._values["domain"].add(value.strip().rstrip(".").lower())

    def add(self, kind: str, value: Any) -> None:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            self._values[kind].add(str(value).strip())

    def add_instance_ids_in(self, text: Any) -> None:
        """Instance ids embedded in ARNs such as arn:aws:ec2:...:instance/i-0abc."""
        if isinstance(text, str):
            for match in _INSTANCE_ID.findall(text):
                self._values["instance_id"].add(match)

    def as_dict(self) -> dict[str, list[str]]:
        return {**{kind: sorted(self._values[kind]) for kind in INDICATOR_KINDS},
                **{kind: sorted(self._values[kind]) for kind in VULNERABILITY_KINDS if self._values[kind]}}


@lru_cache(maxsize=4096)  # a storm repeats the same few addresses thousands of times
def _address(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None  # "AWS Internal", service hostnames, redactions
    return None if address.is_unspecified or address.is_loopback else str(address)


def _walk(node: Any, wanted: frozenset[str], skip: frozenset[str] = frozenset()) -> list[tuple[str, Any]]:
    """(lower-cased key, value) for every `wanted` key in nested dicts/lists, not entering `skip`
    keys. Iterative: a storm walks hundreds of thousands of keys, and nested generators cost
    more than the walk itself."""
    found: list[tuple[str, Any]] = []
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                lowered = key.lower() if isinstance(key, str) else str(key).lower()
                if lowered in skip:
                    continue
                if lowered in wanted:
                    found.append((lowered, value))
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, (dict, list)))
    return found


_GUARDDUTY_KEYS = _IP_KEYS | {"sourceips", "domain"}
_ASFF_ACTION_KEYS = _IP_KEYS | {"domain"}


def guardduty_indicators(finding: dict[str, Any]) -> dict[str, list[str]]:
    """`finding` has lower-camel keys at its top level, in `service`'s own and all through
    `resource` (see guardduty._unified); deeper keys are compared lower-cased."""
    found = Indicators()
    service = finding.get("service") if isinstance(finding.get("service"), dict) else {}
    # Remote IPs anywhere under service (actions, recentCredentials...), never our own local side.
    for key, value in _walk(service, _GUARDDUTY_KEYS, skip=frozenset({"localipdetails", "localportdetails"})):
        if key in _IP_KEYS:
            found.add_ip(value)
        elif key == "sourceips" and isinstance(value, list):
            for item in value:
                found.add_ip(item)
        elif key == "domain":
            found.add_domain(value)
    resource = finding.get("resource") if isinstance(finding.get("resource"), dict) else {}
    key_details = resource.get("accessKeyDetails")
    if isinstance(key_details, dict):
        found.add("access_key_id", key_details.get("accessKeyId"))
        found.add("principal", key_details.get("userName"))
    instance = resource.get("instanceDetails")
    if isinstance(instance, dict):
        found.add("instance_id", instance.get("instanceId"))
    return found.as_dict()


def asff_indicators(finding: dict[str, Any]) -> dict[str, list[str]]:
    found = Indicators()
    network = finding.get("Network") if isinstance(finding.get("Network"), dict) else {}
    # The remote side only: inbound -> Source*, outbound -> Destination*, unknown -> both.
    direction = str(network.get("Direction", "")).upper()
    sides = ("Source",) if direction == "IN" else ("Destination",) if direction == "OUT" else ("Source", "Destination")
    for side in sides:
        found.add_ip(network.get(f"{side}IpV4"))
        found.add_ip(network.get(f"{side}IpV6"))
        found.add_domain(network.get(f"{side}Domain"))
    for key, value in _walk(finding.get("Action"), _ASFF_ACTION_KEYS):
        if key in _IP_KEYS:
            found.add_ip(value)
        elif key == "domain":
            found.add_domain(value)
    fields = finding.get("ProductFields") if isinstance(finding.get("ProductFields"), dict) else {}
    for key, value in fields.items():  # GuardDuty-produced ASFF flattens its details here
        lowered = str(key).lower()
        if "localipdetails" in lowered:
            continue
        if lowered.endswith(("/ipaddressv4", "/ipaddressv6")):
            found.add_ip(value)
        elif lowered.endswith("/domain"):
            found.add_domain(value)
    for resource in finding.get("Resources") or []:
        if isinstance(resource, dict):
            _asff_resource(found, resource)
    return found.as_dict()


def _asff_resource(found: Indicators, resource: dict[str, Any]) -> None:
    rtype, rid = resource.get("Type"), resource.get("Id")
    details = resource.get("Details") if isinstance(resource.get("Details"), dict) else {}
    if rtype == "AwsEc2Instance":
        found.add_instance_ids_in(rid)
    elif rtype == "AwsIamAccessKey":
        key_id = rid.rsplit(":", 1)[-1] if isinstance(rid, str) else None
        found.add("access_key_id", key_id)
        key = details.get("AwsIamAccessKey") if isinstance(details.get("AwsIamAccessKey"), dict) else {}
        found.add("principal", key.get("PrincipalName") or key.get("UserName"))
    elif rtype in ("AwsIamUser", "AwsIamRole"):
        found.add("principal", rid)


def cloudtrail_indicators(record: dict[str, Any]) -> dict[str, list[str]]:
    found = Indicators()
    found.add_ip(record.get("sourceIPAddress"))
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    found.add("access_key_id", identity.get("accessKeyId"))
    found.add("principal", identity.get("arn") or identity.get("userName"))
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") if isinstance(
        identity.get("sessionContext"), dict) else None
    if isinstance(issuer, dict):
        found.add("principal", issuer.get("arn"))
    for key, value in _walk(record.get("requestParameters"), frozenset({"instanceid"})):
        if key == "instanceid":
            found.add("instance_id", value)
    for key, value in _walk(record.get("responseElements"), frozenset({"accesskeyid"})):
        if key == "accesskeyid":
            found.add("access_key_id", value)
    return found.as_dict()
