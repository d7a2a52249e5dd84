"""What every command shares: its settings, the one-line failure message, and building the
services a command needs and draining them afterwards, whatever happens in between."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_FAILURE = 1
log = logging.getLogger("firebreak")


def configure_logging() -> None:
    from core.logs import configure

    configure(os.environ.get("FIREBREAK_LOG_LEVEL", "INFO"))


def settings_of(args: argparse.Namespace):
    from core.settings import load_settings

    return load_settings(getattr(args, "config", None))


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"firebreak: {message}", file=sys.stderr)
    return code


def local_var(settings):
    """Where the local workspace keeps what outlives a run (its fake Slack, its sandbox):
    beside the SQLite database (var/ by default); nowhere with another database."""
    from pathlib import Path

    from core.settings import PROJECT_ROOT

    url = settings.secrets.database_url
    if not url:
        return PROJECT_ROOT / "var"
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.split("///", 1)[1]).parent
    return None


def local_names(settings) -> dict:
    """Without a Slack token, people's names from the local workspace's saved fake Slack,
    so exports say @alice rather than @U0000002."""
    from local.saved_directory import SavedWorkspaceDirectory

    var = local_var(settings)
    if settings.secrets.slack_bot_token or var is None or not (var / "local-slack.json").exists():
        return {}
    return {"directory": SavedWorkspaceDirectory(var / "local-slack.json")}


def local_sandbox(settings) -> dict:
    """A command run beside the local workspace's running AWS sandbox acts there, as the
    workspace does (unless AWS_ENDPOINT_URL or credentials say otherwise)."""
    from composition import sandbox

    var = local_var(settings)
    found = sandbox.running(var / "sandbox.json") if var is not None else None
    return {"local_sandbox": found} if found is not None else {}


@contextmanager
def offline_services(args: argparse.Namespace) -> Iterator:
    """Services that post nothing to Slack (reports, exports, the audit and the job queue),
    drained when the command is done or fails."""
    from composition import build_services
    from core.nulls import NoChat, NoNotifier

    settings = settings_of(args)
    services = build_services(settings, chat=NoChat(), notifier=NoNotifier(), **local_names(settings),
                              **local_sandbox(settings))
    try:
        yield services
    finally:
        services.drain()


def findings_process(args: argparse.Namespace, **options):
    """The wiring for intake outside the Slack server: Slack posting when a token is set."""
    import composition

    settings = settings_of(args)
    process = composition.build(settings, **{**local_sandbox(settings), **options})
    if not settings.secrets.slack_bot_token:  # the root connects no notifier without it
        log.warning("no SLACK_BOT_TOKEN: findings are stored and routed, Slack messages wait in the database")
    return process
