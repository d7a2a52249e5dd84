"""The browser view (/ui) driven through the bot's WSGI app, as a browser would: cookies
kept, CSRF tokens read from each form."""

from __future__ import annotations

import re

from werkzeug.test import Client

from core.incidents import service as incidents

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class UiClient:
    """One person's browser: werkzeug's test client over the bot's WSGI app (no sockets)."""

    def __init__(self, ws, remote_addr: str = "127.0.0.1"):
        self.ws = ws
        self.client = Client(ws.bot.process.web)
        self.environ = {"REMOTE_ADDR": remote_addr}

    def get(self, path: str, **kwargs):
        return self.client.get(path, environ_base=self.environ, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data=data or {}, environ_base=self.environ, **kwargs)

    def token(self, path: str = "/ui/login") -> str:
        found = TOKEN.search(self.get(path).get_data(as_text=True))
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, person: str):
        answer = self.post("/ui/login", {"person": person, "csrf_token": self.token()})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return self

    def submit(self, form_page: str, action: str, data: dict):
        """POST a form of `form_page` with its CSRF token, as the browser does."""
        return self.post(action, {**data, "csrf_token": self.token(form_page)})


def declare(ws, user: str = "alice", title: str = "Crypto miner on web host", **options):
    """An incident declared through core (as `/incident declare` does), with its channel."""
    return incidents.declare(ws.services, title=title, declared_by=ws.user(user), severity="sev2",
                             origin_channel=ws.channel("general"), **options).incident
