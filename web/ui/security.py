"""The browser view's defences that are not the login itself: a strict Content-Security-
Policy (no inline script or style anywhere: every page's CSS is /ui/static/ui.css and it
has no JavaScript), headers that keep pages out of frames and caches, and the login rate
limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_headers(response):
    """Flask after_request: every answer of /ui carries the policy; pages are never cached
    (they show incidents), static files may be."""
    response.headers.update(HEADERS)
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


class LoginLimiter:
    """At most `per_minute` sign-in attempts per client address in any 60 seconds (sliding
    window, this process). Passwords are not ours (OIDC), so this guards the local login and
    the identity provider's round trips against scripted hammering, not a password store."""

    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic, window: float = 60.0):
        self.per_minute = per_minute
        self.now = now
        self.window = window
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.now()
        with self._lock:
            if len(self._seen) > 10_000:  # forget quiet addresses rather than grow for ever
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
            attempts = self._seen.setdefault(client, deque())
            while attempts and attempts[0] <= now - self.window:
                attempts.popleft()
            if len(attempts) >= self.per_minute:
                return False
            attempts.append(now)
            return True

    def retry_after(self, client: str) -> int:
        with self._lock:
            attempts = self._seen.get(client)
            return max(1, int(attempts[0] + self.window - self.now()) + 1) if attempts else 1
