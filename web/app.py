"""The WSGI front door: one process's HTTP routes. Slack's requests go to the endpoint the
composition root hands in (handlers/slack_endpoint.py: signature, then Bolt), findings to
the SNS and EventBridge intake (web/intake.py), and /healthz and /metrics are answered here.

/metrics is answered on the main port only when server.metrics_port is null; otherwise
MetricsApp serves it (and /healthz) on its own, by default loopback-only, listener."""

from __future__ import annotations

import json
import logging
import secrets
import time
from http import HTTPStatus
from typing import Callable, Iterable

from core.services import Services
from web.intake import INTAKE_PATHS, Intake

SLACK_PATH = "/slack/events"
UI_PREFIX = "/ui"
log = logging.getLogger("firebreak.http")
# What answers Slack's POSTs: the WSGI environ in, (status, headers, body) out.
SlackEndpoint = Callable[[dict], tuple[int, dict, bytes]]


class WebApp:
    def __init__(self, slack: SlackEndpoint, services: Services, *, serve_metrics: bool | None = None,
                 ui: Callable | None = None):
        self.slack = slack
        self.services = services
        self.ui = ui  # the browser view's WSGI app (web/ui), mounted at /ui; None: not served
        # None: as configured (server.metrics_port null means no separate metrics listener)
        self.serve_metrics = services.config.server.metrics_port is None if serve_metrics is None else serve_metrics
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
        known = path if path in (SLACK_PATH, "/healthz", "/metrics", *INTAKE_PATHS) else \
            UI_PREFIX if _under_ui(path) else "other"
        telemetry = self.services.telemetry
        telemetry.http_requests.labels(path=known, status=str(status)).inc()
        telemetry.http_latency.labels(path=known).observe(time.perf_counter() - started)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {_reason(status)}", _header_list(headers))
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
        if self.ui is not None and _under_ui(path):
            return mounted(self.ui, UI_PREFIX, environ)
        return 404, {"Content-Type": "text/plain"}, b"Not Found"


def _under_ui(path: str) -> bool:
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def mounted(app: Callable, prefix: str, environ: dict) -> tuple[int, dict, bytes]:
    """Call a WSGI app mounted at `prefix` (it sees SCRIPT_NAME=prefix and the rest as
    PATH_INFO, so the URLs it makes carry the prefix) and collect its whole answer."""
    inner = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + prefix,
                 PATH_INFO=environ.get("PATH_INFO", "")[len(prefix):] or "/")
    answer: dict = {}

    def start_response(status: str, headers: list, exc_info=None):
        answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
        return lambda data: None  # the legacy write() callable; Flask never uses it

    chunks = app(inner, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    headers: dict = {}
    for name, value in answer["headers"]:
        if name.lower() == "set-cookie" and name in headers:
            headers[name] = headers[name] + "\0" + value  # split again by WebApp.__call__
        elif name.lower() != "content-length":
            headers[name] = value
    return answer["status"], headers, body

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


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "OK"


def _header_list(headers: dict) -> list[tuple[str, str]]:
    """Headers as WSGI wants them; several Set-Cookie values travel joined by NUL in the dict."""
    return [(name, part) for name, value in headers.items() for part in str(value).split("\0")]


_REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}
