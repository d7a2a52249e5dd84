"""HTTP intake of findings beside the Slack endpoint: SNS subscriptions (signature-verified)
and EventBridge API destinations (shared secret header).

Answers are chosen for the sender's retry logic: 2xx once the findings are committed (or
the input was recorded as not a finding, since resending cannot fix it), 403 for anything
unauthenticated, 400 for an unreadable EventBridge body, 5xx only for our own trouble."""

from __future__ import annotations

import hmac
import json
import logging
import os
from datetime import timedelta
from typing import Any, Callable

from core.findings.intake import receive_one
from core.findings.normalize import BODY_LIMITS
from core.findings.pipeline import IngestSummary
from core.findings.sns import SnsRejected, SnsVerifier
from core.services import Services
from web.sns_https import confirm

SNS_PATH = "/intake/sns"
EVENTBRIDGE_PATH = "/intake/eventbridge"
INTAKE_PATHS = (SNS_PATH, EVENTBRIDGE_PATH)
SECRET_ENV = "FIREBREAK_INTAKE_SECRET"
SECRET_HEADER = "HTTP_X_FIREBREAK_INTAKE_SECRET"
MAX_BODY = 256 * 1024  # SNS and EventBridge both stop at 256 KB
log = logging.getLogger("firebreak.intake")
Reply = tuple[int, dict, bytes]


def _json(status: int, payload: dict[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


class Intake:
    def __init__(self, services: Services, environ: Callable[[str], str | None] = os.environ.get):
        self.services = services
        self._env = environ
        self._verifier: SnsVerifier | None = None

    def handle(self, path: str, environ: dict) -> Reply:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self._refuse(413, "size", "body larger than 256 KB")
        raw = environ["wsgi.input"].read(length) if length else b""
        if path == SNS_PATH:
            return self.sns(raw, environ)
        return self.eventbridge(raw, environ)

    # ------------------------------------------------------------------ SNS
    def sns(self, raw: bytes, environ: dict) -> Reply:
        message = _object(raw)
        if message is None:
            return self._refuse(400, "sns_body", "not a JSON SNS message")
        kind = environ.get("HTTP_X_AMZ_SNS_MESSAGE_TYPE")
        if kind and kind != message.get("Type"):
            return self._refuse(400, "sns_body", "x-amz-sns-message-type does not match the body's Type")
        verifier = self._sns_verifier()
        if not verifier.allowed_topics:  # the shipped default: nobody's topic is trusted
            return self._refuse(403, "sns_disabled", "SNS intake is off: findings.intake.sns_topic_arns is "
                                f"empty (refused a {str(message.get('Type'))[:40]} from topic "
                                f"{str(message.get('TopicArn'))[:300]})")
        try:  # topic and Timestamp first: nothing is fetched for a message from elsewhere
            verifier.verify(message)
        except SnsRejected as exc:
            return self._refuse(403, exc.reason, exc.message)
        if message["Type"] == "SubscriptionConfirmation":
            try:
                confirm(verifier, message)
            except SnsRejected as exc:
                return self._refuse(403, "sns_subscribe", exc.message)
            log.info("confirmed the SNS subscription to %s", message.get("TopicArn"))
            return _json(200, {"subscribed": message.get("TopicArn")})
        if message["Type"] == "UnsubscribeConfirmation":
            return _json(200, {"unsubscribed": message.get("TopicArn")})
        return self._ingest(json.dumps(message), "sns", f"sns:{message['MessageId']}", status_when_rejected=200)

    def _sns_verifier(self) -> SnsVerifier:
        fetch = self.services.fetch_url
        if self._verifier is None or self._verifier.fetch is not fetch:
            intake = self.services.config.findings.intake
            self._verifier = SnsVerifier(fetch, allowed_topics=intake.sns_topic_arns,
                                         require_signature_v2=intake.sns_require_signature_v2,
                                         max_age=timedelta(seconds=intake.sns_max_age_seconds),
                                         max_skew=timedelta(seconds=intake.sns_max_clock_skew_seconds))
        return self._verifier

    # ------------------------------------------------------------------ EventBridge
    def eventbridge(self, raw: bytes, environ: dict) -> Reply:
        secret = self._env(SECRET_ENV) or ""
        if not secret:
            return self._refuse(503, "intake_disabled", f"EventBridge intake is off: set {SECRET_ENV}")
        given = environ.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8")):
            return self._refuse(403, "intake_secret", "missing or wrong X-Firebreak-Intake-Secret")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(400, "encoding", "body is not UTF-8")
        event_id = (_object(raw) or {}).get("id")
        return self._ingest(text, "eventbridge", f"eventbridge:{event_id}" if event_id else None,
                            status_when_rejected=400)

    # ------------------------------------------------------------------ shared
    def _ingest(self, text: str, origin: str, message_id: str | None, *, status_when_rejected: int) -> Reply:
        summary, received = receive_one(self.services, text, origin=origin, message_id=message_id,
                                        limits=BODY_LIMITS)  # a body of garbage costs little, says little
        status = status_when_rejected if summary.rejected and not received.findings else 200
        return _json(status, _report(summary))

    def _refuse(self, status: int, reason: str, message: str) -> Reply:
        self.services.telemetry.rejected_requests.labels(reason=reason).inc()
        log.warning("intake refused (%s): %s", reason, message)
        return _json(status, {"error": message})


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _report(summary: IngestSummary) -> dict[str, Any]:
    return {"new": summary.new, "updated": summary.updated, "unchanged": summary.unchanged,
            "suppressed": summary.suppressed, "snoozed": summary.snoozed,
            "rejected": [r.reason for r in summary.rejected]}
