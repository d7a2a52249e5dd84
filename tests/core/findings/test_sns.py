"""SNS signatures (versions 1 and 2) checked against a generated key pair and self-signed
certificate, served by an injected fetcher; forgeries, foreign certificate hosts, other
topics and replays refused — and nothing fetched for a message that fails a cheaper check."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.findings.sns import FAILURE_TTL, SnsRejected, SnsVerifier, cert_url
from tests.support.sns import CERT_URL, TOPIC_ARN, SnsSigner, now_stamp


@pytest.fixture(scope="module")
def signer():
    return SnsSigner()


def verifier(signer, fetch=None, **options):
    return SnsVerifier(fetch or signer.fetch, allowed_topics=[TOPIC_ARN], **options)


def test_genuine_notification_verifies(signer):
    verifier(signer).verify(signer.notification({"detail": {}}, "2", Subject="GuardDuty"))


def test_signature_version_1_verifies_when_allowed(signer):
    verifier(signer, require_signature_v2=False).verify(signer.notification({"detail": {}}, "1", Subject="GD"))


def test_signature_version_1_is_refused_by_default_with_how_to_fix(signer):
    signer.fetched.clear()
    with pytest.raises(SnsRejected, match="SignatureVersion 1 .*SignatureVersion attribute to 2") as refused:
        verifier(signer).verify(signer.notification({"detail": {}}, "1"))
    assert "sns_require_signature_v2" in refused.value.message
    assert signer.fetched == []


def test_forged_body_is_rejected(signer):
    message = signer.notification({"finding": "real"})
    message["Message"] = json.dumps({"finding": "forged"})
    with pytest.raises(SnsRejected, match="does not verify"):
        verifier(signer).verify(message)


def test_signature_by_another_key_is_rejected(signer):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = signer.sign({"Type": "Notification", "MessageId": "m", "TopicArn": TOPIC_ARN, "Message": "{}",
                           "Timestamp": now_stamp()}, key=impostor)
    with pytest.raises(SnsRejected, match="does not verify"):
        verifier(signer).verify(message)


@pytest.mark.parametrize("url", [
    "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0abc.pem",
    "https://evil.example/sns.us-east-1.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0abc.pem",
    "https://s3.amazonaws.com/SimpleNotificationService-0abc.pem",
    # issue 10 item 9: any label used to pass, e.g. a bucket-style host, and any path
    "https://sns.s3.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://sns.attacker-bucket.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://sns.us-east-1.amazonaws.com/cert.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0abc.pem?x=1",
    "https://sns.us-east-1.amazonaws.com/x/../SimpleNotificationService-0abc.pem",
    "https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-0abc.pem",  # .cn is China regions only
    "https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-0abc.pem",
])
def test_certificate_url_must_have_the_exact_sns_shape_and_nothing_is_fetched(signer, url):
    signer.fetched.clear()
    message = signer.notification("{}")
    message["SigningCertURL"] = url
    with pytest.raises(SnsRejected, match="SigningCertURL"):
        verifier(signer).verify(message)
    assert signer.fetched == []


@pytest.mark.parametrize("url", [
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-0abc.pem",
    "https://sns.ap-southeast-2.amazonaws.com/SimpleNotificationService-0abc.pem",
])
def test_real_region_hosts_are_accepted(url):
    assert cert_url(url) == url


@pytest.mark.parametrize("change, reason", [
    ({"SignatureVersion": "3"}, "SignatureVersion"),
    ({"Signature": "***"}, "base64"),
    ({"Type": "Mystery"}, "Type"),
    ({"MessageId": None}, "without MessageId"),
    ({"Timestamp": "yesterday"}, "Timestamp"),
    ({"Timestamp": "2026-01-01T00:00:00"}, "with a zone"),
])
def test_malformed_messages_get_a_reason(signer, change, reason):
    message = {**signer.notification("{}"), **change}
    with pytest.raises(SnsRejected, match=reason):
        verifier(signer).verify(message)


def test_certificate_is_fetched_once_and_cached(signer):
    signer.fetched.clear()
    checker = verifier(signer)
    for n in range(3):
        checker.verify(signer.notification("{}", MessageId=f"m{n}"))
    assert signer.fetched == [CERT_URL]


def test_unreachable_or_bogus_certificate_is_a_refusal_not_a_crash(signer):
    def down(url):
        raise OSError("no route")

    with pytest.raises(SnsRejected, match="cannot fetch"):
        verifier(signer, down).verify(signer.notification("{}"))
    with pytest.raises(SnsRejected, match="not a PEM"):
        verifier(signer, lambda url: b"hello").verify(signer.notification("{}"))


def test_a_failed_certificate_url_is_not_fetched_again_for_a_while(signer):
    """Issue 10 item 9: each request with a failing certificate URL made a fresh fetch."""
    attempts = []

    def missing(url):
        attempts.append(url)
        raise OSError("404")

    clock = [datetime.now(timezone.utc)]
    checker = verifier(signer, missing, now=lambda: clock[0])
    for n in range(5):
        with pytest.raises(SnsRejected, match="cannot fetch.*not retried before"if n else "cannot fetch"):
            checker.verify(signer.notification("{}", MessageId=f"m{n}"))
    assert attempts == [CERT_URL]
    clock[0] += FAILURE_TTL + timedelta(seconds=1)
    checker.fetch = signer.fetch  # the certificate is back
    checker.verify(signer.notification("{}", MessageId="later"))


def test_topic_is_checked_before_any_certificate_is_fetched(signer):
    """Issue 10 items 1 and 9: an outsider's topic (signed by SNS or not) fetches nothing."""
    signer.fetched.clear()
    outsider = signer.notification("{}", TopicArn="arn:aws:sns:us-east-1:999999999999:attacker",
                                   SigningCertURL=CERT_URL.replace("0123", "ffff"))
    with pytest.raises(SnsRejected, match="not in findings.intake.sns_topic_arns") as refused:
        verifier(signer).verify(outsider)
    assert refused.value.reason == "sns_topic"
    with pytest.raises(SnsRejected, match="SNS intake is off"):
        SnsVerifier(signer.fetch).verify(signer.notification("{}"))  # no topic allowed: none accepted
    assert signer.fetched == []


@pytest.mark.parametrize("offset, accepted", [
    (timedelta(hours=-2), False),  # a captured message, replayed later
    (timedelta(minutes=-59), True),
    (timedelta(minutes=4), True),  # clocks differ a little
    (timedelta(minutes=10), False),  # dated in the future
])
def test_timestamp_outside_the_window_is_refused_as_a_replay(signer, offset, accepted):
    signer.fetched.clear()
    message = signer.notification("{}", Timestamp=now_stamp(offset))
    checker = verifier(signer, max_age=timedelta(hours=1), max_skew=timedelta(minutes=5))
    if accepted:
        checker.verify(message)
        return
    with pytest.raises(SnsRejected, match="too old|future") as refused:
        checker.verify(message)
    assert refused.value.reason == "sns_timestamp" and signer.fetched == []


def test_certificate_outside_its_validity_is_refused(signer):
    message = signer.notification({"detail": {}})
    later = datetime.now(timezone.utc) + timedelta(days=365)
    with pytest.raises(SnsRejected, match="not valid now"):
        SnsVerifier(signer.fetch, allowed_topics=[TOPIC_ARN], now=lambda: later,
                    max_age=timedelta(days=400)).verify(message)
    verifier(signer).verify(message)  # the same certificate today is fine
