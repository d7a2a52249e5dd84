"""Helpers for communications tests: settings with a `communications:` section, a stand-in
paging service on 127.0.0.1 that records requests and can fail, and recording fakes of the
outreach ports for direct core tests."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.communications.config import CommunicationsConfig
from core.communications.ports import Outreach, PageFailed


def with_communications(settings, section: dict, **scheduling):
    cfg = settings.config
    update = {"communications": CommunicationsConfig.model_validate(section)}
    if scheduling:
        update["scheduling"] = cfg.scheduling.model_copy(update={
            "escalation": cfg.scheduling.escalation.model_copy(update=scheduling)})
    return dataclasses.replace(settings, config=cfg.model_copy(update=update))


class StandIn:
    """A paging service on 127.0.0.1:0: records every request (path, headers, JSON body) and
    answers 202 like PagerDuty, or `fail(n, status)` times with an error first."""

    def __init__(self):
        self.requests: list[dict] = []
        self._failures: list[int] = []
        self.location: str | None = None  # where a 3xx from fail() points
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stand_in._lock:
                    stand_in.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": json.loads(raw or b"{}")})
                    status = stand_in._failures.pop(0) if stand_in._failures else 202
                if stand_in.location and status in (301, 302, 303, 307, 308):
                    self.send_response(status)
                    self.send_header("Location", stand_in.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"status": "success" if status == 202 else "error", "message": "stand-in",
                                   "dedup_key": json.loads(raw or b"{}").get("dedup_key")}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2/enqueue"

    def fail(self, times: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def events(self) -> list[dict]:
        with self._lock:
            return [r["body"] for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingStakeholderChat:
    def __init__(self, fail: str | None = None):
        self.sent: list[tuple] = []
        self.fail = fail

    def send(self, message, channels, users, skip=()):
        if self.fail:
            raise RuntimeError(self.fail)
        self.sent.append((message, tuple(channels), tuple(users)))
        return [*channels, *users]


class RecordingEmail:
    def __init__(self):
        self.published: list[tuple[str, str, str]] = []

    def publish(self, topic_arn, subject, text):
        self.published.append((topic_arn, subject, text))
        return f"m-{len(self.published)}"


class RecordingPaging:
    def __init__(self, fail: int = 0):
        self.events: list[tuple] = []
        self.fail = fail

    def send(self, pager, event):
        if self.fail:
            self.fail -= 1
            raise PageFailed("HTTP 503 after 4 attempt(s)")
        self.events.append((pager.type, event))
        return event.dedup_key


def recording_outreach(**kw) -> Outreach:
    return Outreach(chat=kw.get("chat") or RecordingStakeholderChat(), email=kw.get("email") or RecordingEmail(),
                    paging=kw.get("paging") or RecordingPaging())
