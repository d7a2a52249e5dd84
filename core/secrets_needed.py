"""Every secret the configuration can name, and which of them the environment lacks.

Secrets come from the environment only (core/settings.py); the config file names some by
variable (a pager's `routing_key_env`, `auth_header_env`). `bot.py check-config` prints
which are missing, deploy/README.md lists them all, and compose.yaml passes them from one
env file. Only names are ever shown, never values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Secret:
    name: str
    what: str
    needed: bool  # False: only for an optional way of running (Socket Mode, EventBridge intake)


FIXED = (
    Secret("SLACK_BOT_TOKEN", "the bot's Slack token (xoxb-…): web, worker, clock", True),
    Secret("SLACK_SIGNING_SECRET", "verifies Slack's requests: web", True),
    Secret("DATABASE_URL", "PostgreSQL with its password: every process (compose builds it from POSTGRES_PASSWORD; "
                           "unset: SQLite under var/, one process only)", True),
    Secret("FIREBREAK_AUDIT_KEY", "keys the audit hash chain (HMAC, 32+ characters); unset, the chain is unkeyed: "
                                  "every process", True),
    Secret("SLACK_APP_TOKEN", "Socket Mode only (bot.py socket)", False),
    Secret("FIREBREAK_INTAKE_SECRET", "EventBridge API destinations into web's intake only", False),
    Secret("FIREBREAK_UI_SECRET_KEY", "signs the browser view's session cookies (32+ characters): web, with ui.enabled",
           False),
    Secret("FIREBREAK_OIDC_CLIENT_SECRET", "the browser view's OIDC client secret: web, with ui.enabled", False),
)
UI_SECRETS = ("FIREBREAK_UI_SECRET_KEY", "FIREBREAK_OIDC_CLIENT_SECRET")


def named(config) -> list[Secret]:
    """The fixed secrets, then each one the configuration names by variable."""
    found = [Secret(s.name, s.what, True) if s.name in UI_SECRETS else s for s in FIXED
             if s.name not in UI_SECRETS or config.ui.enabled]  # the browser view's: needed once it is on
    for name, audience in sorted(config.communications.audiences.items()):
        pager = audience.pager
        if pager is None:
            continue
        if pager.routing_key_env:
            found.append(Secret(pager.routing_key_env, f"PagerDuty integration key of audience {name}", True))
        if pager.auth_header_env:
            found.append(Secret(pager.auth_header_env, f"Authorization header of audience {name}'s webhook pager",
                                True))
    return list({s.name: s for s in found}.values())


def missing(config, environ: Mapping[str, str]) -> list[Secret]:
    return [s for s in named(config) if not environ.get(s.name)]


def report(config, environ: Mapping[str, str]) -> list[str]:
    """check-config's lines: what is set (names only), what is missing and what it is for."""
    absent = missing(config, environ)
    present = [s.name for s in named(config) if s not in absent]
    lines = ["Secrets (environment only; deploy/README.md lists them): "
             + (f"set: {', '.join(present)}" if present else "none set")]
    lines += [f"missing: {s.name} — {s.what}" for s in absent if s.needed]
    lines += [f"not set (optional): {s.name} — {s.what}" for s in absent if not s.needed]
    return lines
