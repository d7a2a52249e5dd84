"""The embedded local default: a fake Slack workspace and the real bot, wired together on
loopback. `python bot.py` without Slack credentials runs this with a console; the tests
and benchmarks run the very same thing without one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
import secrets as random_secrets

from core.bootstrap import build_services
from core.services import Clock, Services
from core.settings import Settings
from handlers.app import build_app
from handlers.http import WebApp
from handlers.server import RunningServer
from local.fake_slack import FakeSlack
from local.slack_sender import SlackSender


class LocalWorkspace:
    """Fake Slack + bot server. Users and channels come from the `local:` config section."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, host: str = "127.0.0.1",
                 port: int = 0, threads: int | None = None, state_file: Path | None = None):
        self.state_file = state_file
        self.fake = FakeSlack(token="xoxb-local-" + random_secrets.token_hex(8))
        restored = bool(state_file) and self.fake.load(state_file)
        self.fake.serve(host)
        signing_secret = random_secrets.token_hex(16)
        local_secrets = dataclasses.replace(settings.secrets, slack_bot_token=self.fake.token,
                                            slack_signing_secret=signing_secret,
                                            slack_api_url=self.fake.api_url)
        self.settings = dataclasses.replace(settings, secrets=local_secrets)
        cfg = self.settings.config
        self.users = {name: self.fake.user_id(name) or self.fake.add_user(name) for name in cfg.local.users}
        for name in cfg.local.channels:
            if not (restored and self.fake.channel_id(name)):
                self.fake.add_channel(name, members=tuple(self.users.values()))
        self.services: Services = build_services(self.settings, clock=clock)
        self.bolt = build_app(self.services)
        self.server = RunningServer(WebApp(self.bolt, self.services), host, port,
                                    threads or cfg.server.threads).start()
        self.sender = SlackSender(self.server.url, signing_secret, response_url=self.fake.response_url)

    @property
    def url(self) -> str:
        return self.server.url

    def user(self, name: str) -> str:
        return self.users[name]

    def channel(self, name: str) -> str:
        cid = self.fake.channel_id(name)
        if cid is None:
            raise KeyError(name)
        return cid

    def stop(self) -> None:
        self.server.stop()
        self.services.drain()
        self.fake.stop()
        if self.state_file:
            self.fake.save(self.state_file)
