"""GuardDuty attack sequences (Extended Threat Detection): what `service.detection.sequence`
says, read once into plain values.

An attack sequence is one finding about many things: the signals that make it up (other
findings and API activity), the resources, actors and endpoints involved, and indicators.
Its parts become the finding's resources and indicators, so correlation, containment
menus and the triage message see them; `read()` gives the whole sequence to whoever shows
or acts on it. Member findings name their sequence in `associatedAttackSequenceArn`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.findings.indicators import Indicators
from core.findings.model import Finding, add_resource
from core.findings.timeutil import iso_utc

if TYPE_CHECKING:
    from core.findings.ports import FindingRepository, StoredFinding

PREFIX = "AttackSequence:"
MAX_PARTS = 400  # GuardDuty lists at most 400 resources, actors and endpoints each

# ResourceV2.ResourceType -> the normalized resource type the rest of Firebreak knows.
_RESOURCE_TYPES = {
    "ACCESS_KEY": "AwsIamAccessKey",
    "EC2_INSTANCE": "AwsEc2Instance",
    "S3_BUCKET": "AwsS3Bucket",
    "S3_OBJECT": "AwsS3Object",
    "EKS_CLUSTER": "AwsEksCluster",
    "ECS_CLUSTER": "AwsEcsCluster",
    "ECS_TASK": "AwsEcsTask",
    "CONTAINER": "Container",
    "KUBERNETES_WORKLOAD": "KubernetesWorkload",
    "EC2_NETWORK_INTERFACE": "AwsEc2NetworkInterface",
    "IAM_INSTANCE_PROFILE": "AwsIamInstanceProfile",
    "AUTOSCALING_AUTO_SCALING_GROUP": "AwsAutoScalingAutoScalingGroup",
}
_IP_INDICATORS = {"MALICIOUS_IP", "TOR_IP", "CRYPTOMINING_IP"}
_DOMAIN_INDICATORS = {"MALICIOUS_DOMAIN", "CRYPTOMINING_DOMAIN"}


@dataclass(frozen=True)
class Signal:
    uid: str
    type: str  # FINDING, CLOUD_TRAIL, S3_DATA_EVENTS, ...
    name: str
    description: str | None
    count: int
    first_seen: str | None
    last_seen: str | None
    severity: float | None


@dataclass(frozen=True)
class Part:
    """One resource, actor or endpoint: its kind (resource type, user type, ip/domain) and id."""

    kind: str
    id: str
    name: str | None = None


@dataclass(frozen=True)
class Sequence:
    uid: str | None
    description: str | None
    signals: tuple[Signal, ...] = ()
    resources: tuple[Part, ...] = ()
    actors: tuple[Part, ...] = ()
    endpoints: tuple[Part, ...] = ()
    indicators: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def timeline(self) -> list[Signal]:
        """Signals oldest first (by first seen, then last seen), as they happened; signals seen
        at the same time keep GuardDuty's order."""
        return sorted(self.signals, key=lambda s: (s.first_seen or s.last_seen or "", s.last_seen or ""))

    def member_ids(self) -> list[str]:
        """Finding ids of the signals that are GuardDuty findings themselves."""
        return [finding_id(s.uid) for s in self.signals if s.type == "FINDING" and s.uid]

    def targets(self, rtype: str) -> list[str]:
        return [part.id for part in self.resources if part.kind == rtype]


def is_sequence(finding_type: str | None) -> bool:
    return bool(finding_type) and str(finding_type).startswith(PREFIX)


def finding_id(arn_or_id: str) -> str:
    """A GuardDuty finding ARN (…/detector/D/finding/ID) or a bare id -> the id."""
    return arn_or_id.rstrip("/").rsplit("/", 1)[-1]


def _get(node: Any, key: str) -> Any:
    """A key in the API's (UpperCamel) or the event's (lowerCamel) spelling."""
    if not isinstance(node, dict):
        return None
    return node[key] if key in node else node.get(key[:1].upper() + key[1:])


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value).strip() or None


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value[:MAX_PARTS] if isinstance(item, dict)] if isinstance(value, list) else []


def stored(findings: FindingRepository, account: str | None, guardduty_id: str) -> StoredFinding | None:
    """The stored finding of a GuardDuty finding id (a sequence's member, a member's sequence),
    whichever copy named it first: native (the bare id), ASFF (the ARN) or OCSF (metadata.uid)."""
    return findings.by_producer_id("guardduty", account, guardduty_id)


def member_of(raw: dict[str, Any]) -> str | None:
    """The sequence's finding id a member finding names, or None."""
    arn = _text(_get(raw, "associatedAttackSequenceArn"))
    return finding_id(arn) if arn else None


def read(raw: dict[str, Any]) -> Sequence | None:
    """The sequence of a GuardDuty finding document (API or event keys), or None."""
    sequence = _get(_get(_get(raw, "service"), "detection"), "sequence")
    if not isinstance(sequence, dict):
        return None
    return Sequence(
        uid=_text(_get(sequence, "uid")),
        description=_text(_get(sequence, "description")),
        signals=tuple(_signal(s) for s in _items(_get(sequence, "signals"))),
        resources=tuple(p for p in (_resource(r) for r in _items(_get(sequence, "resources"))) if p),
        actors=tuple(p for p in (_actor(a) for a in _items(_get(sequence, "actors"))) if p),
        endpoints=tuple(p for p in (_endpoint(e) for e in _items(_get(sequence, "endpoints"))) if p),
        indicators=tuple((str(_get(i, "key")), tuple(str(v) for v in (_get(i, "values") or []) if _text(v)))
                         for i in _items(_get(sequence, "sequenceIndicators")) if _text(_get(i, "key"))),
    )


def _signal(node: dict[str, Any]) -> Signal:
    try:
        count = max(int(_get(node, "count") or 1), 1)
    except (TypeError, ValueError):
        count = 1
    try:
        severity = float(_get(node, "severity")) if _get(node, "severity") is not None else None
    except (TypeError, ValueError):
        severity = None
    return Signal(uid=_text(_get(node, "uid")) or "", type=_text(_get(node, "type")) or "",
                  name=_text(_get(node, "name")) or _text(_get(node, "type")) or "signal",
                  description=_text(_get(node, "description")), count=count,
                  first_seen=iso_utc(_get(node, "firstSeenAt"), _get(node, "createdAt")),
                  last_seen=iso_utc(_get(node, "lastSeenAt"), _get(node, "updatedAt"), _get(node, "firstSeenAt")),
                  severity=severity)


def _resource(node: dict[str, Any]) -> Part | None:
    uid = _text(_get(node, "uid"))
    if not uid:
        return None
    raw_type = _text(_get(node, "resourceType")) or "OTHER"
    rtype = _RESOURCE_TYPES.get(raw_type, raw_type)
    if rtype == "AwsS3Bucket" and not uid.startswith("arn:"):
        uid = f"arn:aws:s3:::{uid}"  # as GuardDuty's own s3BucketDetails name them
    return Part(rtype, uid, _text(_get(node, "name")))


def _actor(node: dict[str, Any]) -> Part | None:
    user = _get(node, "user")
    name = _text(_get(user, "name"))
    ident = name or _text(_get(user, "uid")) or _text(_get(node, "id"))
    if not ident:
        return None
    return Part(_text(_get(user, "type")) or "Actor", ident, _text(_get(user, "credentialUid")))


def _endpoint(node: dict[str, Any]) -> Part | None:
    ip, domain = _text(_get(node, "ip")), _text(_get(node, "domain"))
    if ip:
        return Part("ip", ip, domain)
    return Part("domain", domain) if domain else None


def enrich(finding: Finding) -> Finding:
    """Add an attack sequence's resources and indicators to its finding (the GuardDuty parser's hook)."""
    sequence = read(finding.raw)
    if sequence is None:
        return finding
    for part in sequence.resources:
        add_resource(finding.resources, part.kind, part.id)
    found = Indicators()
    for kind, values in finding.indicators.items():
        for value in values:
            found.add(kind, value)
    for part in sequence.resources:
        if part.kind == "AwsIamAccessKey":
            found.add("access_key_id", part.id)
            found.add("principal", part.name)
        elif part.kind == "AwsEc2Instance":
            found.add_instance_ids_in(part.id)
    for actor in sequence.actors:
        found.add("principal", actor.id)
        if actor.name and actor.name[:4] in ("AKIA", "ASIA"):
            found.add("access_key_id", actor.name)
    for endpoint in sequence.endpoints:
        if endpoint.kind == "ip":
            found.add_ip(endpoint.id)
        if endpoint.kind == "domain" or endpoint.name:
            found.add_domain(endpoint.name if endpoint.kind == "ip" else endpoint.id)
    for key, values in sequence.indicators:
        for value in values:
            if key in _IP_INDICATORS:
                found.add_ip(value)
            elif key in _DOMAIN_INDICATORS:
                found.add_domain(value)
    finding.indicators = found.as_dict()
    return finding
