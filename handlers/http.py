"""The WSGI front door: Slack requests, health and metrics.

Slack's signature is checked here, before Bolt sees the request, so a forged or stale
request gets 403 (Bolt itself would answer 401) and never reaches a listener.

/metrics is answered on the main port only when server.metrics_port is null; otherwise
MetricsApp serves it (and /healthz) on its own, by default loopback-only, listener."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Callable, Iterable

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from core.services import Services
from handlers.intake_http import INTAKE_PATHS, Intake

MAX_BODY = 1024 * 1024  # Slack payloads are far smaller; refuse anything bigger unread
SLACK_PATH = "/slack/events"
log = logging.getLogger("firebreak.http")


class WebApp:
    def __init__(self, bolt_app: App, services: Services, *, serve_metrics: bool | None = None):
        self.bolt = bolt_app
        self.services = services
        # None: as configured (server.metrics_port null means no separate metrics listener)
        self.serve_metrics = services.config.server.metrics_port is None if serve_metrics is None else serve_metrics
        self.verifier = SignatureVerifier(services.settings.secrets.slack_signing_secret or "")
        self.intake = Intake(services)  # findings over HTTP: SNS and EventBridge (own authentication)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            status, headers, body = self.route(path, method, environ)
        except Exception:  # noqa: BLE001 - a server must answer, never drop the connection
            error_id = secrets.token_hex(4)
            log.exception("unhandled error %s on %s %s", error_id, method, path)
            status, headers, body = 500, {"Content-Type": "text/plain"}, f"error id {error_id}".encode()
        known = path if path in (SLACK_PATH, "/healthz", "/metrics", *INTAKE_PATHS) else "other"
        telemetry = self.services.telemetry
        telemetry.http_requests.labels(path=known, status=str(status)).inc()
        telemetry.http_latency.labels(path=known).observe(time.perf_counter() - started)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", list(headers.items()))
        return [body]

    def route(self, path: str, method: str, environ: dict) -> tuple[int, dict, bytes]:
        if path == SLACK_PATH and method == "POST":
            return self.slack(environ)
        if path in INTAKE_PATHS and method == "POST":
            return self.intake.handle(path, environ)
        if path == "/healthz" and method == "GET":
            return health(self.services)
        if path == "/metrics" and method == "GET" and self.serve_metrics:
            return metrics(self.services)
        return 404, {"Content-Type": "text/plain"}, b"Not Found"

    def slack(self, environ: dict) -> tuple[int, dict, bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.services.telemetry.rejected_requests.labels(reason="size").inc()
            return 413, {"Content-Type": "text/plain"}, b"Payload Too Large"
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = _headers(environ)
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


def health(services: Services) -> tuple[int, dict, bytes]:
    database_ok = services.db.ping()
    payload = {"status": "ok" if database_ok else "degraded", "database": "ok" if database_ok else "unreachable"}
    return (200 if database_ok else 503), {"Content-Type": "application/json"}, json.dumps(payload).encode()


def metrics(services: Services) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "text/plain; version=0.0.4"}, services.telemetry.exposition()


class MetricsApp:
    """The metrics listener: GET /metrics and /healthz, nothing else (no Slack, no intake)."""

    def __init__(self, services: Services):
        self.services = services

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "GET" and path == "/metrics":
                status, headers, body = metrics(self.services)
            elif method == "GET" and path == "/healthz":
                status, headers, body = health(self.services)
            else:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"Not Found"
        except Exception:  # noqa: BLE001 - answer, never drop the connection
            log.exception("unhandled error on the metrics listener: %s %s", method, path)
            status, headers, body = 500, {"Content-Type": "text/plain"}, b"error"
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", list(headers.items()))
        return [body]


def _headers(environ: dict) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}
