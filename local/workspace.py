"""The embedded local default: a fake Slack workspace and the real bot, wired together on
loopback. `python bot.py` without Slack credentials runs this with a console; the tests
and benchmarks run the very same thing without one."""

from __future__ import annotations

import dataclasses
import json
import secrets as random_secrets
import time
from pathlib import Path
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from core.clock import OffsetClock
from core.services import Clock, Services
from core.settings import Settings
from local.fake_slack import FakeSlack
from local.slack_sender import SlackSender


class RunningBot(Protocol):
    """The bot serving Slack's HTTP requests, as the composition root starts it."""

    services: Services
    url: str
    bolt: Any  # the Slack app, for tests that add a listener of their own

    def stop(self) -> None: ...


StartBot = Callable[..., RunningBot]  # (settings, *, clock, host, port, threads, overrides, workers, local_login)


class RunningClock(Protocol):
    """The scheduler (reminders, SLA escalations, expiry) running beside the bot, as the
    composition root starts it for the local workspace."""

    def sweep_now(self) -> dict[str, object]: ...  # every sweep at once: {name: what it handled}

    def stop(self) -> None: ...


StartClock = Callable[[Services], RunningClock]


class LocalWorkspace:
    """Fake Slack + bot server. Users and channels come from the `local:` config section.
    `start_bot` comes from the composition root (local/ never builds the bot itself);
    `overrides` replace Services fields (tests hand in fakes this way); `adjust` changes the
    settings once the workspace's users exist (e.g. to make one of them the only approver).
    `workers` job workers run beside the bot as threads (default: as many as server threads;
    0 for a bot that only acks and enqueues, as `bot.py serve` does).
    `start_clock` (from the root too) runs the scheduler beside the bot; without a `clock`
    the workspace follows the system time with an offset the console can move forward.
    `scopes` are the bot token's scopes in the fake Slack (default: manifest.yml's), so a
    test can run the bot with one missing and see what Slack would refuse."""

    def __init__(self, settings: Settings, start_bot: StartBot, *, clock: Clock | None = None,
                 start_clock: StartClock | None = None,
                 host: str = "127.0.0.1", port: int = 0, threads: int | None = None,
                 state_file: Path | None = None, overrides: dict[str, Any] | None = None,
                 workers: int | None = None,
                 adjust: Callable[[Settings, "LocalWorkspace"], Settings] | None = None,
                 notices: tuple[str, ...] = (), sandbox_inventory: tuple[str, ...] = (),
                 scopes: tuple[str, ...] | None = None, slack_port: int = 0):
        self.state_file = state_file
        self.notices = tuple(notices)  # said when the console starts (e.g. where AWS calls go)
        self.sandbox_inventory = tuple(sandbox_inventory)  # the AWS sandbox's inventory, one line each
        self.fake = FakeSlack(token="xoxb-local-" + random_secrets.token_hex(8), scopes=scopes)
        restored = bool(state_file) and self.fake.load(state_file)
        self.fake.serve(host, slack_port)
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
        if state_file:  # saved at once too: commands run beside it (`bot.py export`) know the names
            self.fake.save(state_file)
        if adjust is not None:
            self.settings = adjust(self.settings, self)
        self.clock: Clock = clock or OffsetClock(self._saved_offset())
        self.bot = start_bot(self.settings, clock=self.clock, host=host, port=port,
                             threads=threads or self.settings.config.server.threads, overrides=overrides,
                             workers=workers, local_login=dict(self.users))
        self.services: Services = self.bot.services
        self.bolt = self.bot.bolt
        self.sender = SlackSender(self.bot.url, signing_secret, response_url=self.fake.response_url)
        self.scheduler: RunningClock | None = None
        if start_clock is not None:
            try:
                self.scheduler = start_clock(self.services)
            except BaseException:
                self.bot.stop()
                self.fake.stop()
                raise

    @property
    def runs_clock(self) -> bool:
        """Whether reminders, escalations and expiry run here (the scheduler was started)."""
        return self.scheduler is not None

    def now(self) -> datetime:
        """The bot's time (the system's, plus whatever the console fast-forwarded)."""
        return self.clock.now()

    def advance_clock(self, delta: timedelta, *, sweep: bool = True) -> dict[str, object]:
        """Move the bot's time forward and (unless `sweep` is False) run the scheduler's sweeps
        at once, not at its next tick, so what fell due is posted before this returns."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError(f"this workspace's clock ({type(self.clock).__name__}) cannot be moved")
        advance(seconds=delta.total_seconds())
        self._save_offset()
        return self.sweep_now() if sweep else {}

    @property
    def _clock_file(self) -> Path | None:
        """Where the console's `:clock` jumps are kept, beside the saved workspace: reminders
        already sent at the later time must not fall due again after a restart."""
        return Path(self.state_file).with_name("local-clock.json") if self.state_file else None

    def _saved_offset(self) -> timedelta:
        try:
            seconds = float(json.loads(self._clock_file.read_text())["offset_seconds"]) if self._clock_file else 0.0
        except (OSError, ValueError, KeyError, TypeError):
            seconds = 0.0
        return timedelta(seconds=max(0.0, seconds))

    def _save_offset(self) -> None:
        offset = getattr(self.clock, "offset", None)
        if self._clock_file is not None and isinstance(offset, timedelta):
            self._clock_file.parent.mkdir(parents=True, exist_ok=True)
            self._clock_file.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))

    def sweep_now(self) -> dict[str, object]:
        """Run every sweep of the scheduler now: {sweep: what it handled}; {} without one."""
        return self.scheduler.sweep_now() if self.scheduler is not None else {}

    @property
    def url(self) -> str:
        return self.bot.url

    @property
    def ui_url(self) -> str:
        """The browser view, signed in with the local login (any of the workspace's people)."""
        return f"{self.bot.url}/ui/"

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the bot has finished the work it acknowledged (no job queued or running,
        and what it queued for Slack sent); True when it has. Lets a console or a test read
        results without polling for each of them."""
        deadline = time.monotonic() + timeout
        jobs = self.services.repos.jobs
        while jobs.active():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        idle = self.services.executor.wait_idle(max(0.0, deadline - time.monotonic()))
        return idle and self.services.notifier.drain(max(0.0, deadline - time.monotonic()))

    def user(self, name: str) -> str:
        return self.users[name]

    def channel(self, name: str) -> str:
        cid = self.fake.channel_id(name)
        if cid is None:
            raise KeyError(name)
        return cid

    def stop(self) -> None:
        if self.scheduler is not None:  # finish the sweeps in hand and hand the lease over first
            self.scheduler.stop()
        self.bot.stop()
        self.fake.stop()
        if self.state_file:
            self.fake.save(self.state_file)
