"""Slack's requests, as the web front door hands them over: the signature is checked here,
before Bolt sees the request, so a forged or stale request gets 403 (Bolt itself would
answer 401) and never reaches a listener; then Bolt dispatches it."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from core.services import Services

MAX_BODY = 1024 * 1024  # Slack payloads are far smaller; refuse anything bigger unread


class SlackEndpoint:
    """POST /slack/events: the WSGI environ in, (status, headers, body) out."""

    def __init__(self, bolt_app: App, services: Services):
        self.bolt = bolt_app
        self.services = services
        self.verifier = SignatureVerifier(services.settings.secrets.slack_signing_secret or "")

    def __call__(self, environ: dict) -> tuple[int, dict, bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.services.telemetry.rejected_requests.labels(reason="size").inc()
            return 413, {"Content-Type": "text/plain"}, b"Payload Too Large"
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = request_headers(environ)
        if not self._signed(raw, headers):
            self.services.telemetry.rejected_requests.labels(reason="signature").inc()
            return 403, {"Content-Type": "application/json"}, b'{"error": "invalid or stale signature"}'
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.services.telemetry.rejected_requests.labels(reason="encoding").inc()
            return 400, {"Content-Type": "text/plain"}, b"Bad Request"
        response = self.bolt.dispatch(BoltRequest(body=text, query=environ.get("QUERY_STRING", ""),
                                                  headers={k: [v] for k, v in headers.items()}))
        out = {k: v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        out.setdefault("content-type", "text/plain;charset=utf-8")
        body = response.body if isinstance(response.body, bytes) else str(response.body or "").encode()
        return response.status, out, body

    def _signed(self, raw: bytes, headers: dict) -> bool:
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not (timestamp.isdigit() and signature):
            return False
        return self.verifier.is_valid(raw, timestamp, signature)


def request_headers(environ: dict) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers
