"""The HTTP side of the SNS intake: the HTTPS GET behind the verifier's `fetch` port (a
signing certificate, a SubscribeURL: exactly the URL checked, never where a redirect
points), and confirming a subscription, only by SNS's ConfirmSubscription for the
message's own topic. What makes a message authentic stays in core/findings/sns.py."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.findings.sns import MAX_CERT_BYTES, SNS_HOST, SnsRejected, SnsVerifier, same_partition


def sns_url(url: Any, what: str) -> str:
    """`url` if it is https on an SNS host of a real region (no port, no user), else SnsRejected."""
    parts = urlsplit(url if isinstance(url, str) else "")
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = SNS_HOST.match(parts.hostname or "")
    if parts.scheme != "https" or host is None or not same_partition(host) or "@" in parts.netloc or port:
        raise SnsRejected(f"{what} must be an https URL on sns.<region>.amazonaws.com, got {str(url)[:200]!r}")
    return url


def subscribe_url(url: Any, topic_arn: str) -> str:
    """A SubscribeURL: SNS's ConfirmSubscription action for this very topic, nothing else."""
    sns_url(url, "SubscribeURL")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.path not in ("", "/") or query.get("Action") != ["ConfirmSubscription"] or \
            query.get("TopicArn", [topic_arn]) != [topic_arn]:
        raise SnsRejected(f"SubscribeURL is not a ConfirmSubscription for {topic_arn}", "sns_subscribe")
    return url


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl[:200]} refused", headers, fp)


def https_get(url: str) -> bytes:
    """The production fetcher (tests inject their own through Services.fetch_url): the URL as
    checked, never where a redirect points."""
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(url, timeout=5) as response:  # noqa: S310 - url checked by cert_url / subscribe_url
        return response.read(MAX_CERT_BYTES + 1)


def confirm(verifier: SnsVerifier, message: dict[str, Any]) -> None:
    """Subscribe by visiting SubscribeURL (only SNS's ConfirmSubscription for the message's
    topic; the message is verified already, so its topic is allowed)."""
    verifier.check_topic(message.get("TopicArn") or "")
    url = subscribe_url(message.get("SubscribeURL"), message.get("TopicArn") or "")
    try:
        verifier.fetch(url)
    except Exception as exc:  # noqa: BLE001
        raise SnsRejected(f"subscription confirmation failed: {type(exc).__name__}", "sns_subscribe") from None
