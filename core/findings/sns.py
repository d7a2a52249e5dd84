"""Amazon SNS message authenticity: anyone can POST to a public endpoint, so a notification
counts only if its signature verifies against the signing certificate of an SNS host.

SignatureVersion 1 is RSA with SHA1, 2 with SHA256, over the documented "Key\\nValue\\n"
string. The certificate URL must be https on sns.<region>.amazonaws.com[.cn] (otherwise a
forger would simply point at their own certificate); certificates are cached."""

from __future__ import annotations

import base64
import binascii
import re
import threading
import urllib.request
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.errors import FirebreakError

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERT_BYTES = 64 * 1024


class SnsRejected(FirebreakError):
    """Not an authentic SNS message; the message says why (safe to log and return)."""


def sns_url(url: Any, what: str) -> str:
    """`url` if it is https on an SNS host, else SnsRejected."""
    parts = urlsplit(url if isinstance(url, str) else "")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or not SNS_HOST.match(parts.hostname or "") or parts.username or port:
        raise SnsRejected(f"{what} must be an https URL on sns.<region>.amazonaws.com, got {str(url)[:200]!r}")
    return url


def string_to_sign(message: dict[str, Any]) -> bytes:
    fields = SIGNED_FIELDS[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None).encode()


def https_get(url: str) -> bytes:
    """The production fetcher (tests inject their own through Services.fetch_url)."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - url checked by sns_url
        return response.read(MAX_CERT_BYTES + 1)


class SnsVerifier:
    def __init__(self, fetch: Callable[[str], bytes] = https_get, cache_size: int = 16,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.fetch = fetch
        self.now = now  # real time: certificate validity is about the world, not a test clock
        self._keys: OrderedDict[str, tuple[rsa.RSAPublicKey, datetime, datetime]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, message: dict[str, Any]) -> None:
        kind = message.get("Type")
        if kind not in SIGNED_FIELDS:
            raise SnsRejected(f"unknown SNS message Type {str(kind)[:40]!r}")
        missing = [name for name in SIGNED_FIELDS[kind] if name != "Subject" and not isinstance(message.get(name), str)]
        if missing:
            raise SnsRejected(f"SNS {kind} without {', '.join(missing)}")
        version = message.get("SignatureVersion")
        if version not in HASHES:
            raise SnsRejected(f"unsupported SignatureVersion {str(version)[:10]!r} (expected 1 or 2)")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise SnsRejected("Signature is not base64") from None
        key = self._key(sns_url(message.get("SigningCertURL"), "SigningCertURL"))
        try:
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), HASHES[version]())
        except InvalidSignature:
            raise SnsRejected("signature does not verify against the SNS signing certificate") from None

    def _key(self, url: str) -> rsa.RSAPublicKey:
        with self._lock:
            cached = self._keys.get(url)
            if cached:
                self._keys.move_to_end(url)
        key, valid_from, valid_until = cached or self._load(url)
        if not valid_from <= self.now() <= valid_until:
            raise SnsRejected(f"signing certificate is not valid now (valid {valid_from:%Y-%m-%d} to "
                              f"{valid_until:%Y-%m-%d})")
        return key

    def _load(self, url: str) -> tuple[rsa.RSAPublicKey, datetime, datetime]:
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
        loaded = (key, certificate.not_valid_before_utc, certificate.not_valid_after_utc)
        with self._lock:
            self._keys[url] = loaded
            while len(self._keys) > self._cache_size:
                self._keys.popitem(last=False)
        return loaded

    def confirm(self, message: dict[str, Any]) -> None:
        """Subscribe by visiting SubscribeURL (only an SNS host; message already verified)."""
        url = sns_url(message.get("SubscribeURL"), "SubscribeURL")
        try:
            self.fetch(url)
        except Exception as exc:  # noqa: BLE001
            raise SnsRejected(f"subscription confirmation failed: {type(exc).__name__}") from None
