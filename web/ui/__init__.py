"""The browser view (/ui): a small server-rendered Flask app mounted in the WSGI front door
(web/app.py), so `bot.py serve` serves it with no second server. Login is OpenID Connect
(or the local workspace's own form), every form carries a CSRF token (Flask-WTF), and
every answer a strict Content-Security-Policy (web/ui/security.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Mapping

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect

from core.errors import FirebreakError, NotFound, PermissionDenied
from core.services import Services
from web.ui import auth, pages
from web.ui.report import ReportCharts
from web.ui.security import LoginLimiter, add_headers

PREFIX = "/ui"
log = logging.getLogger("firebreak.ui")


@dataclass(frozen=True)
class Login:
    """How people sign in: `local_people` (name -> Slack id, the local workspace only) or
    the configured OIDC provider with `client_secret`."""

    secret_key: str
    local_people: Mapping[str, str] | None = None
    client_secret: str | None = None
    secure_cookies: bool = True


def build(services: Services, login: Login, *, draw_charts: Callable | None = None,
          limiter: LoginLimiter | None = None) -> Flask:
    cfg = services.config.ui
    app = Flask(__name__, static_url_path="/static")
    app.config.update(
        SECRET_KEY=login.secret_key, SESSION_COOKIE_NAME="firebreak_ui", SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SECURE=login.secure_cookies, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg.session_hours), WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=login.secure_cookies, MAX_CONTENT_LENGTH=64 * 1024)
    CSRFProtect(app)
    oauth_client = None
    if login.local_people is None:
        oauth_client = app.extensions["firebreak_oidc"] = auth.oidc_client(app, cfg, login.client_secret or "")
    limiter = limiter or LoginLimiter(cfg.login_attempts_per_minute)
    app.register_blueprint(auth.blueprint(limiter, local_people=login.local_people, oauth_client=oauth_client,
                                          redirect_uri=cfg.redirect_uri,
                                          user_by_email=services.directory.user_by_email))
    app.register_blueprint(pages.blueprint(services, ReportCharts(draw_charts)))
    app.after_request(add_headers)
    _errors(app)
    app.jinja_env.globals.update(phases_label=" → ".join, name_of=_names(services))
    return app


def _errors(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    app.register_error_handler(CSRFError, lambda e: page(400, "Form expired",
                                                         "The form was missing its security token or it expired; "
                                                         "reload the page and try again."))
    app.register_error_handler(NotFound, lambda e: page(404, "Not found", e.message))
    app.register_error_handler(404, lambda e: page(404, "Not found", "There is no such page."))
    app.register_error_handler(PermissionDenied, lambda e: page(403, "Not allowed", e.message))
    app.register_error_handler(FirebreakError, lambda e: page(400, "Cannot do that", e.message))


def _names(services: Services) -> Callable[[str | None], str]:
    """A person's display name for pages; their id when the directory cannot say (Slack down)."""
    def name_of(user_id: str | None) -> str:
        if not user_id:
            return "—"
        try:
            return services.directory.name(user_id) or user_id
        except Exception:  # noqa: BLE001 - a name is decoration; the page must still render
            return user_id
    return name_of
