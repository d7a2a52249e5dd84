"""server.trusted_proxy: the reverse proxy's X-Forwarded-For is believed from it alone, so
per-address limits (the browser view's sign-in) count each client rather than the proxy."""

from __future__ import annotations

import urllib.request

import pytest

from web.server import RunningServer


def echo(environ, start_response):
    body = f"{environ.get('REMOTE_ADDR')} {environ.get('wsgi.url_scheme')}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize("trusted, seen", [("127.0.0.1", "198.51.100.4 https"), (None, "127.0.0.1 http"),
                                           ("10.9.9.9", "127.0.0.1 http")])
def test_forwarded_client_address_only_from_the_trusted_proxy(trusted, seen):
    server = RunningServer(echo, "127.0.0.1", 0, 2, trusted_proxy=trusted).start()
    try:
        request = urllib.request.Request(server.url + "/", headers={"X-Forwarded-For": "198.51.100.4",
                                                                    "X-Forwarded-Proto": "https"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.read().decode() == seen
    finally:
        server.stop()
