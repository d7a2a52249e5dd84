"""Runs the WSGI app on waitress: a production-grade, pure-Python, threaded server, so
`python bot.py serve` is what the Procfile runs, with no separate gunicorn set-up."""

from __future__ import annotations

import logging
import threading

from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger("firebreak.server")


class RunningServer:
    def __init__(self, wsgi_app, host: str, port: int, threads: int):
        self._server = create_server(wsgi_app, host=host, port=port, threads=threads,
                                     ident="firebreak", channel_timeout=30, clear_untrusted_proxy_headers=True)
        self.host = host
        self.port = self._server.effective_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "RunningServer":
        """Serve in a background thread (local workspace, tests, benchmarks)."""
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
