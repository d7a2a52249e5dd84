"""Plays Amazon SNS in tests: a generated key pair, a self-signed certificate served by an
injected fetcher, and messages signed the way SNS signs them (versions 1 and 2)."""

import base64
import datetime
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from core.findings.sns import string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:findings"


def now_stamp(offset: datetime.timedelta = datetime.timedelta()) -> str:
    """An SNS Timestamp (as SNS writes it) `offset` away from now."""
    stamp = datetime.datetime.now(datetime.timezone.utc) + offset
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


class SnsSigner:
    """Plays SNS: a key pair, its certificate, and signed messages."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30)).sign(self.key, hashes.SHA256()))
        self.pem = cert.public_bytes(serialization.Encoding.PEM)
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem if url.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"

    def sign(self, message: dict, version: str = "2", key=None) -> dict:
        message = {"SignatureVersion": version, "SigningCertURL": CERT_URL, **message}
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = (key or self.key).sign(string_to_sign(message), padding.PKCS1v15(), digest)
        return {**message, "Signature": base64.b64encode(signature).decode()}

    def notification(self, body: dict | str, version: str = "2", **extra) -> dict:
        return self.sign({"Type": "Notification", "MessageId": extra.pop("MessageId", "m-1"),
                          "TopicArn": TOPIC_ARN, "Message": body if isinstance(body, str) else json.dumps(body),
                          "Timestamp": now_stamp(), **extra}, version)

    def confirmation(self, subscribe_url: str = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
                     f"&TopicArn={TOPIC_ARN}&Token=t", **extra) -> dict:
        return self.sign({"Type": "SubscriptionConfirmation", "MessageId": "c-1", "Token": "t",
                          "TopicArn": TOPIC_ARN, "Message": "confirm",
                          "SubscribeURL": subscribe_url, "Timestamp": now_stamp(), **extra})
