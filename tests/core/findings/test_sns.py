"""SNS signatures (versions 1 and 2) checked against a generated key pair and self-signed
certificate, served by an injected fetcher; forgeries and foreign certificate hosts refused."""

import base64
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from core.findings.sns import SnsRejected, SnsVerifier, sns_url, string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"


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
                          "TopicArn": "arn:aws:sns:us-east-1:123456789012:findings",
                          "Message": body if isinstance(body, str) else json.dumps(body),
                          "Timestamp": "2026-01-01T00:00:00.000Z", **extra}, version)

    def confirmation(self, subscribe_url: str = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
                     "&Token=t") -> dict:
        return self.sign({"Type": "SubscriptionConfirmation", "MessageId": "c-1", "Token": "t",
                          "TopicArn": "arn:aws:sns:us-east-1:123456789012:findings", "Message": "confirm",
                          "SubscribeURL": subscribe_url, "Timestamp": "2026-01-01T00:00:00.000Z"})


@pytest.fixture(scope="module")
def signer():
    return SnsSigner()


@pytest.mark.parametrize("version", ["1", "2"])
def test_genuine_notification_verifies(signer, version):
    SnsVerifier(signer.fetch).verify(signer.notification({"detail": {}}, version, Subject="GuardDuty"))


def test_forged_body_is_rejected(signer):
    message = signer.notification({"finding": "real"})
    message["Message"] = json.dumps({"finding": "forged"})
    with pytest.raises(SnsRejected, match="does not verify"):
        SnsVerifier(signer.fetch).verify(message)


def test_signature_by_another_key_is_rejected(signer):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = signer.sign({"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "{}",
                           "Timestamp": "2026-01-01T00:00:00.000Z"}, key=impostor)
    with pytest.raises(SnsRejected, match="does not verify"):
        SnsVerifier(signer.fetch).verify(message)


@pytest.mark.parametrize("url", [
    "http://sns.us-east-1.amazonaws.com/cert.pem",
    "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
    "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
    "https://user@sns.us-east-1.amazonaws.com/cert.pem",
    "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
    "https://s3.amazonaws.com/cert.pem",
])
def test_certificate_must_come_from_an_sns_host(signer, url):
    message = signer.notification("{}")
    message["SigningCertURL"] = url
    with pytest.raises(SnsRejected, match="SigningCertURL"):
        SnsVerifier(signer.fetch).verify(message)


def test_china_partition_host_is_accepted():
    assert sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem", "u")


@pytest.mark.parametrize("change, reason", [
    ({"SignatureVersion": "3"}, "SignatureVersion"),
    ({"Signature": "***"}, "base64"),
    ({"Type": "Mystery"}, "Type"),
    ({"MessageId": None}, "without MessageId"),
])
def test_malformed_messages_get_a_reason(signer, change, reason):
    message = {**signer.notification("{}"), **change}
    with pytest.raises(SnsRejected, match=reason):
        SnsVerifier(signer.fetch).verify(message)


def test_certificate_is_fetched_once_and_cached(signer):
    signer.fetched.clear()
    verifier = SnsVerifier(signer.fetch)
    for n in range(3):
        verifier.verify(signer.notification("{}", MessageId=f"m{n}"))
    assert signer.fetched == [CERT_URL]


def test_unreachable_or_bogus_certificate_is_a_refusal_not_a_crash(signer):
    def down(url):
        raise OSError("no route")

    with pytest.raises(SnsRejected, match="cannot fetch"):
        SnsVerifier(down).verify(signer.notification("{}"))
    with pytest.raises(SnsRejected, match="not a PEM"):
        SnsVerifier(lambda url: b"hello").verify(signer.notification("{}"))


def test_subscription_is_confirmed_only_on_an_sns_host(signer):
    verifier = SnsVerifier(signer.fetch)
    good = signer.confirmation()
    verifier.verify(good)
    signer.fetched.clear()
    verifier.confirm(good)
    assert signer.fetched == [good["SubscribeURL"]]
    evil = signer.confirmation("https://attacker.example/confirm")
    verifier.verify(evil)  # signed, yet the URL is not SNS's
    with pytest.raises(SnsRejected, match="SubscribeURL"):
        verifier.confirm(evil)
