"""The HTTP side of the SNS intake (web/sns_https.py): subscriptions confirmed only on an SNS
host for the message's own topic, and the production fetcher never follows a redirect."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.findings.sns import SnsRejected, SnsVerifier
from tests.support.sns import TOPIC_ARN, SnsSigner
from web.sns_https import confirm, https_get, sns_url


@pytest.fixture(scope="module")
def signer():
    return SnsSigner()


def verifier(signer, fetch=None, **options):
    return SnsVerifier(fetch or signer.fetch, allowed_topics=[TOPIC_ARN], **options)


def test_china_partition_host_is_accepted():
    assert sns_url("https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription", "u")


def test_subscription_is_confirmed_only_on_an_sns_host_for_its_own_topic(signer):
    checker = verifier(signer)
    good = signer.confirmation()
    checker.verify(good)
    signer.fetched.clear()
    confirm(checker, good)
    assert signer.fetched == [good["SubscribeURL"]]
    for url in ("https://attacker.example/confirm",
                "https://sns.us-east-1.amazonaws.com/?Action=Publish&TopicArn=" + TOPIC_ARN,
                "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:"
                "999999999999:other&Token=t"):
        evil = signer.confirmation(url)
        checker.verify(evil)  # signed, yet the URL is not this topic's confirmation
        with pytest.raises(SnsRejected, match="SubscribeURL"):
            confirm(checker, evil)
    assert signer.fetched == [good["SubscribeURL"]]


def test_the_production_fetcher_does_not_follow_redirects():
    """Issue 10 item 9: the certificate fetch followed redirects (to anywhere)."""
    hits = []

    class Redirector(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            if self.path == "/cert.pem":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.end_headers()
            else:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"followed")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(Exception, match="redirect"):
            https_get(f"http://127.0.0.1:{server.server_port}/cert.pem")  # scheme is the caller's check
        assert hits == ["/cert.pem"]
    finally:
        server.shutdown()
        server.server_close()
