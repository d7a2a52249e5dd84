"""Amazon SNS message authenticity: anyone can POST to a public endpoint, so a notification
counts only if it comes from an allowed topic, is recent, and its signature verifies against
the signing certificate of an SNS host.

The checks run cheapest and least revealing first, so an unauthenticated request never makes
Firebreak fetch anything: topic (findings.intake.sns_topic_arns) -> Timestamp (replay window)
-> SignatureVersion -> certificate URL shape -> certificate (cached; failures cached too) ->
signature. SignatureVersion 1 is RSA with SHA1, 2 with SHA256, over the documented
"Key\\nValue\\n" string. The certificate URL must be exactly
https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem (otherwise a
forger would simply point at their own certificate). The fetch itself is the verifier's
`fetch` port: web/sns_https.py GETs over HTTPS without following redirects, and confirms
subscriptions (the HTTP side of the SNS intake)."""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.errors import FirebreakError

REGION = r"[a-z]{2}(?:-gov)?-[a-z]+-\d"  # us-east-1, us-gov-west-1, cn-northwest-1, ap-southeast-2 ...
SNS_HOST = re.compile(rf"^sns\.(?P<region>{REGION})\.amazonaws\.com(?P<cn>\.cn)?$")
CERT_URL = re.compile(rf"^https://sns\.(?P<region>{REGION})\.amazonaws\.com(?P<cn>\.cn)?"
                      r"/SimpleNotificationService-[0-9a-f]{1,64}\.pem$")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERT_BYTES = 64 * 1024
FAILURE_TTL = timedelta(minutes=10)  # a certificate URL that failed is not fetched again for this long
V2_HOWTO = ("set the topic's SignatureVersion attribute to 2 (aws sns set-topic-attributes --topic-arn <arn> "
            "--attribute-name SignatureVersion --attribute-value 2), or set "
            "findings.intake.sns_require_signature_v2: false")


# The port the certificates (and subscription confirmations) are fetched through: an HTTPS
# GET of exactly this URL, its body (web/sns_https.https_get; tests inject their own).
Fetch = Callable[[str], bytes]


class SnsRejected(FirebreakError):
    """Not an acceptable SNS message; the message says why (safe to log and return).
    `reason` is a short code for metrics: sns_topic, sns_timestamp, sns_signature, sns_subscribe."""

    def __init__(self, message: str, reason: str = "sns_signature"):
        super().__init__(message)
        self.reason = reason


def same_partition(match: re.Match) -> bool:
    """.amazonaws.com.cn serves the China regions only, and only it does."""
    return bool(match.group("cn")) == match.group("region").startswith("cn-")


def cert_url(url: Any) -> str:
    """`url` if it has the exact shape of an SNS signing certificate URL, else SnsRejected."""
    match = CERT_URL.match(url) if isinstance(url, str) else None
    if match is None or not same_partition(match):
        raise SnsRejected("SigningCertURL must be https://sns.<region>.amazonaws.com[.cn]/"
                          f"SimpleNotificationService-<hex>.pem, got {str(url)[:200]!r}")
    return url


def string_to_sign(message: dict[str, Any]) -> bytes:
    fields = SIGNED_FIELDS[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None).encode()


def parse_timestamp(value: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        stamp = None
    if stamp is None or stamp.tzinfo is None:
        raise SnsRejected(f"Timestamp {value[:40]!r} is not an ISO 8601 time with a zone", "sns_timestamp")
    return stamp


class SnsVerifier:
    """Checks SNS messages. `allowed_topics` empty refuses everything (SNS intake is off)."""

    def __init__(self, fetch: Fetch, cache_size: int = 16,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc), *,
                 allowed_topics: Iterable[str] = (), require_signature_v2: bool = True,
                 max_age: timedelta = timedelta(hours=1), max_skew: timedelta = timedelta(minutes=5)):
        self.fetch = fetch
        # Real time: certificate validity and SNS's Timestamp are about the world, not a test clock.
        self.now = now
        self.allowed_topics = frozenset(allowed_topics)
        self.require_signature_v2 = require_signature_v2
        self.max_age, self.max_skew = max_age, max_skew
        self._keys: OrderedDict[str, tuple[rsa.RSAPublicKey, datetime, datetime]] = OrderedDict()
        self._failures: OrderedDict[str, tuple[datetime, str]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._fetching = threading.Lock()  # one certificate fetch at a time (they are rare: cached)

    def verify(self, message: dict[str, Any]) -> None:
        kind = message.get("Type")
        if kind not in SIGNED_FIELDS:
            raise SnsRejected(f"unknown SNS message Type {str(kind)[:40]!r}")
        missing = [name for name in SIGNED_FIELDS[kind] if name != "Subject" and not isinstance(message.get(name), str)]
        if missing:
            raise SnsRejected(f"SNS {kind} without {', '.join(missing)}")
        self.check_topic(message["TopicArn"])
        self.check_timestamp(message["Timestamp"])
        version = message.get("SignatureVersion")
        if version not in HASHES:
            raise SnsRejected(f"unsupported SignatureVersion {str(version)[:10]!r} (expected 1 or 2)")
        if version == "1" and self.require_signature_v2:
            raise SnsRejected(f"SignatureVersion 1 (SHA1) is refused: {V2_HOWTO}")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise SnsRejected("Signature is not base64") from None
        key = self._key(cert_url(message.get("SigningCertURL")))
        try:
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), HASHES[version]())
        except InvalidSignature:
            raise SnsRejected("signature does not verify against the SNS signing certificate") from None

    def check_topic(self, topic_arn: str) -> None:
        if not self.allowed_topics:
            raise SnsRejected("SNS intake is off: findings.intake.sns_topic_arns is empty", "sns_topic")
        if topic_arn not in self.allowed_topics:
            raise SnsRejected(f"topic {topic_arn[:300]!r} is not in findings.intake.sns_topic_arns", "sns_topic")

    def check_timestamp(self, value: str) -> None:
        """Replay protection: SNS stamps each message (signed); an old one is a replay."""
        stamp, now = parse_timestamp(value), self.now()
        if stamp < now - self.max_age:
            raise SnsRejected(f"message is too old (Timestamp {value[:40]}, more than "
                              f"{int(self.max_age.total_seconds())} s ago): a replay?", "sns_timestamp")
        if stamp > now + self.max_skew:
            raise SnsRejected(f"message is dated in the future (Timestamp {value[:40]})", "sns_timestamp")

    def _key(self, url: str) -> rsa.RSAPublicKey:
        cached = self._cached(url)
        if cached is None:
            with self._fetching:  # whoever waited here finds the result of the fetch before it
                cached = self._cached(url) or self._load(url)
        key, valid_from, valid_until = cached
        if not valid_from <= self.now() <= valid_until:
            raise SnsRejected(f"signing certificate is not valid now (valid {valid_from:%Y-%m-%d} to "
                              f"{valid_until:%Y-%m-%d})")
        return key

    def _cached(self, url: str) -> tuple[rsa.RSAPublicKey, datetime, datetime] | None:
        """The cached key, None if unknown, or SnsRejected while a recent failure stands."""
        with self._lock:
            failure = self._failures.get(url)
            if failure and failure[0] > self.now():
                raise SnsRejected(f"{failure[1]} (not retried before {failure[0]:%H:%M:%S} UTC)")
            cached = self._keys.get(url)
            if cached:
                self._keys.move_to_end(url)
            return cached

    def _load(self, url: str) -> tuple[rsa.RSAPublicKey, datetime, datetime]:
        try:
            loaded = self._fetch_key(url)
        except SnsRejected as exc:
            with self._lock:
                self._failures[url] = (self.now() + FAILURE_TTL, exc.message)
                self._failures.move_to_end(url)
                while len(self._failures) > 16 * self._cache_size:
                    self._failures.popitem(last=False)
            raise
        with self._lock:
            self._failures.pop(url, None)
            self._keys[url] = loaded
            while len(self._keys) > self._cache_size:
                self._keys.popitem(last=False)
        return loaded

    def _fetch_key(self, url: str) -> tuple[rsa.RSAPublicKey, datetime, datetime]:
        try:
            pem = self.fetch(url)
        except Exception as exc:  # noqa: BLE001 - any fetch failure is a refusal, not a crash
            raise SnsRejected(f"cannot fetch the signing certificate: {type(exc).__name__}") from None
        if len(pem) > MAX_CERT_BYTES:
            raise SnsRejected("signing certificate is implausibly large")
        try:
            certificate = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise SnsRejected("signing certificate is not a PEM X.509 certificate") from None
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SnsRejected("signing certificate does not hold an RSA key")
        return key, certificate.not_valid_before_utc, certificate.not_valid_after_utc
