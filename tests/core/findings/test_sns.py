"""SNS signatures (versions 1 and 2) checked against a generated key pair and self-signed
certificate, served by an injected fetcher; forgeries and foreign certificate hosts refused."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.findings.sns import SnsRejected, SnsVerifier, sns_url
from tests.support.sns import CERT_URL, SnsSigner

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


def test_certificate_outside_its_validity_is_refused(signer):
    from datetime import datetime, timedelta, timezone

    message = signer.notification({"detail": {}})
    later = datetime.now(timezone.utc) + timedelta(days=365)
    with pytest.raises(SnsRejected, match="not valid now"):
        SnsVerifier(signer.fetch, now=lambda: later).verify(message)
    SnsVerifier(signer.fetch).verify(message)  # the same certificate today is fine
