"""Runs the WSGI app on waitress: a production-grade, pure-Python, threaded server, so
`python bot.py serve` is what the Procfile runs, with no separate gunicorn set-up.

Limits (server.* in config): a body over max_body_bytes is refused with 413 when its headers
arrive, before any of it is read; at most connection_limit connections are served at once;
a connection idle for channel_timeout_seconds is closed (checked every few seconds, not
waitress' default 30). select() is replaced by poll() so the limit may exceed 1024 sockets.

waitress' idle timeout restarts with every byte, so a client trickling one byte every few
seconds (a slow-loris) holds its connection for ever, and connection_limit of them leave
/healthz and Slack unanswered. So each request must also arrive whole, headers and body,
within request_timeout_seconds of its first byte; the server's own maintenance pass closes
a connection that is still receiving after that, and the connections waiting in the listen
backlog are accepted in turn."""

from __future__ import annotations

import logging
import threading
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

log = logging.getLogger("firebreak.server")
MAX_HEADER_BYTES = 64 * 1024  # Slack's, SNS's and EventBridge's headers are a few KB


class DeadlineChannel(HTTPChannel):
    """waitress' channel, remembering when the request it is receiving began to arrive."""

    request_began: float | None = None

    def received(self, data):
        if data and self.request is None and self.request_began is None:
            self.request_began = time.monotonic()
        answer = super().received(data)
        if self.request is None:  # nothing half-received: the next request starts its own clock
            self.request_began = None
        return answer


def _with_request_deadline(server: BaseWSGIServer, seconds: float) -> None:
    """Make the server's channels DeadlineChannels and its maintenance pass (run on its own
    loop thread) close any still receiving a request begun more than `seconds` ago."""
    idle_sweep = server.maintenance

    def maintenance(now: float) -> None:
        idle_sweep(now)
        cutoff = time.monotonic() - seconds
        late = [c for c in list(server.active_channels.values())
                if getattr(c, "request_began", None) is not None and c.request_began < cutoff and not c.requests]
        for channel in late:
            channel.will_close = True
        if late:
            log.warning("closed %d connection(s) whose request took over %ss to arrive (server.request_timeout_seconds)",
                        len(late), seconds)

    server.channel_class = DeadlineChannel
    server.maintenance = maintenance


def _listeners(server) -> list[BaseWSGIServer]:
    """create_server's answer: one server, or a MultiSocketServer holding one per address."""
    if isinstance(server, BaseWSGIServer):
        return [server]
    return [s for s in getattr(server, "map", {}).values() if isinstance(s, BaseWSGIServer)]


class RunningServer:
    def __init__(self, wsgi_app, host: str, port: int, threads: int, *, max_body_bytes: int = 1024 * 1024,
                 connection_limit: int = 500, channel_timeout: int = 30, request_timeout: int = 10,
                 trusted_proxy: str | None = None):
        proxy = dict(trusted_proxy=trusted_proxy, trusted_proxy_count=1,
                     trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"}) if trusted_proxy else {}
        self._server = create_server(
            wsgi_app, host=host, port=port, threads=threads, ident="firebreak", clear_untrusted_proxy_headers=True,
            **proxy,
            # waitress refuses Content-Length >= max_request_body_size: allow exactly max_body_bytes
            max_request_body_size=max_body_bytes + 1, max_request_header_size=MAX_HEADER_BYTES,
            connection_limit=connection_limit, channel_timeout=channel_timeout,
            cleanup_interval=max(1, min(30, channel_timeout // 2, request_timeout // 2)), asyncore_use_poll=True)
        for listener in _listeners(self._server):
            _with_request_deadline(listener, request_timeout)
        self.host = host
        self.port = self._server.effective_port
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, wsgi_app, server_config, host: str, port: int) -> "RunningServer":
        """A server with the limits of the `server:` config section."""
        return cls(wsgi_app, host, port, server_config.threads, max_body_bytes=server_config.max_body_bytes,
                   connection_limit=server_config.connection_limit,
                   channel_timeout=server_config.channel_timeout_seconds,
                   request_timeout=server_config.request_timeout_seconds,
                   trusted_proxy=server_config.trusted_proxy)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "RunningServer":
        """Serve in a background thread (local workspace, tests, benchmarks, the metrics listener)."""
        self._thread = threading.Thread(target=self._server.run, name="firebreak-http", daemon=True)
        self._thread.start()
        return self

    def run_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        """Finish requests in flight, then close every socket from the server's own loop
        thread (closing them from here would pull file descriptors out from under select)."""
        self._server.task_dispatcher.shutdown(timeout=5)
        try:
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        except OSError:  # the loop is gone already (its wake-up pipe closed): close what is left
            log.warning("HTTP server loop already stopped; closing its sockets directly")
            wasyncore.close_all(self._server._map, ignore_all=True)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


def start_metrics_server(metrics_app, server_config) -> RunningServer | None:
    """The /metrics (+ /healthz) listener on server.metrics_host:metrics_port, in the
    background; None when metrics_port is null (then the main port serves /metrics) or
    the port cannot be had (logged: metrics are not worth refusing Slack for)."""
    if server_config.metrics_port is None:
        return None
    try:
        server = RunningServer(metrics_app, server_config.metrics_host, server_config.metrics_port, threads=2,
                               max_body_bytes=1024, connection_limit=50,
                               channel_timeout=server_config.channel_timeout_seconds,
                               request_timeout=server_config.request_timeout_seconds)
    except OSError as exc:
        log.error("metrics listener on %s:%s not started: %s (set server.metrics_port)",
                  server_config.metrics_host, server_config.metrics_port, exc)
        return None
    log.info("serving metrics on %s/metrics (and %s/healthz)", server.url, server.url)
    return server.start()
