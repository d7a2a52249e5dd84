"""Issue 22 item 20(b): 520 clients trickling a byte at a time kept /healthz unanswered under
the shipped limits (connection_limit 500): waitress' idle timeout restarts with every byte.
Now a request must arrive whole within server.request_timeout_seconds; trickling connections
are closed and /healthz, waiting in the listen backlog, is answered."""

import socket
import threading
import time
import urllib.request

import pytest

from handlers.slack_endpoint import SlackEndpoint
from web.app import WebApp
from web.server import RunningServer

pytestmark = pytest.mark.slow
TRICKLERS = 520
START = b"GET /healthz HTTP/1.1\r\nHost: firebreak\r\nX-Padding: "


class Trickle:
    """`count` connections, each sending the start of a request and then one byte every
    `every` seconds, reconnecting whenever the server hangs up (a determined slow-loris)."""

    def __init__(self, address, count: int, every: float = 0.5):
        self.address, self.every = address, every
        self.stop = threading.Event()
        self.reconnects = 0
        self.sockets = [self._open() for _ in range(count)]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _open(self):
        sock = socket.create_connection(self.address, timeout=5)
        sock.setblocking(False)
        try:
            sock.send(START)
        except OSError:
            pass
        return sock

    def _run(self):
        while not self.stop.wait(self.every):  # the attacker's pace, not a wait for the server
            for i, sock in enumerate(self.sockets):
                try:
                    sock.send(b"a")
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:  # hung up on: come straight back
                    sock.close()
                    try:
                        self.sockets[i] = self._open()
                        self.reconnects += 1
                    except OSError:
                        pass

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_healthz_answers_while_520_clients_trickle_their_headers(workspace):
    shipped = workspace.settings.config.server
    assert (shipped.connection_limit, shipped.channel_timeout_seconds, shipped.request_timeout_seconds) == (500, 30, 10)
    app = WebApp(SlackEndpoint(workspace.bolt, workspace.services), workspace.services)
    server = RunningServer(app, "127.0.0.1", 0, 4, connection_limit=500, channel_timeout=30,
                           request_timeout=2).start()  # the shipped limits, a shorter deadline for speed
    trickle = Trickle(("127.0.0.1", server.port), TRICKLERS)
    try:
        started = time.monotonic()
        with urllib.request.urlopen(server.url + "/healthz", timeout=15) as response:
            assert response.status == 200
        waited = time.monotonic() - started
        assert waited < 10, f"/healthz took {waited:.1f}s"
        print(f"/healthz answered in {waited:.1f}s under {TRICKLERS} trickling clients")
    finally:
        trickle.close()
        server.stop()


def test_a_request_that_trickles_in_is_cut_off_at_the_request_timeout(workspace):
    app = WebApp(SlackEndpoint(workspace.bolt, workspace.services), workspace.services)
    server = RunningServer(app, "127.0.0.1", 0, 2, channel_timeout=30, request_timeout=2).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(START)
            started = time.monotonic()
            sock.settimeout(0.5)
            closed = False
            while time.monotonic() - started < 8 and not closed:
                try:
                    sock.sendall(b"a")
                    closed = sock.recv(1) == b""
                except socket.timeout:
                    continue
                except OSError:
                    closed = True
            assert closed and time.monotonic() - started < 6
    finally:
        server.stop()
