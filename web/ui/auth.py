"""Sign-in and sign-out: OpenID Connect (Authlib) in production, a pick-your-person form in
the local workspace only. Either way the session holds the linked Slack user id; nothing
else about the person is trusted afterwards."""

from __future__ import annotations

import functools
import logging
from typing import Callable, Mapping

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from web.ui.identity import NotLinked, Person, from_local, from_oidc
from web.ui.security import LoginLimiter

log = logging.getLogger("firebreak.ui")


def signed_in() -> Person | None:
    user = session.get("user")
    return Person(user["id"], user["name"]) if isinstance(user, dict) and "id" in user else None


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        person = signed_in()
        if person is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        g.person = person
        return view(*args, **kwargs)
    return wrapped


def _start_session(person: Person) -> None:
    session.clear()  # a new session for a new person (no fixation of a session made before)
    session.permanent = True
    session["user"] = {"id": person.user_id, "name": person.name}


def _safe_next(target: str | None) -> str:
    """Only a path of this view: never an open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return request.script_root + target
    return url_for("pages.incidents")


def blueprint(limiter: LoginLimiter, *, local_people: Mapping[str, str] | None, oauth_client=None,
              redirect_uri: str | None = None,
              user_by_email: Callable[[str], str | None] = lambda email: None) -> Blueprint:
    auth = Blueprint("auth", __name__)

    def limited():
        client = request.remote_addr or "unknown"
        if not limiter.allow(client):
            log.warning("sign-in attempts from %s over the limit", client)
            page = render_template("error.html", title="Too many sign-in attempts",
                                   message="Too many sign-in attempts from your address; wait a minute.")
            return page, 429, {"Retry-After": str(limiter.retry_after(client))}
        return None

    @auth.get("/login")
    def login():
        if local_people is None and request.args.get("go") == "1":
            if (refused := limited()) is not None:
                return refused
            session["next"] = request.args.get("next")
            return oauth_client.authorize_redirect(redirect_uri)
        return render_template("login.html", people=sorted(local_people or {}), local=local_people is not None,
                               next=request.args.get("next", ""))

    @auth.post("/login")
    def local_login():
        if local_people is None:
            abort(404)
        if (refused := limited()) is not None:
            return refused
        try:
            person = from_local(request.form.get("person", ""), local_people)
        except NotLinked as exc:
            return render_template("login.html", people=sorted(local_people), local=True, error=exc.reason), 403
        _start_session(person)
        return redirect(_safe_next(request.form.get("next")))

    @auth.get("/auth/callback")
    def callback():
        if oauth_client is None:
            abort(404)
        if (refused := limited()) is not None:
            return refused
        target = session.pop("next", None)
        try:
            token = oauth_client.authorize_access_token()
            claims = token.get("userinfo") or oauth_client.userinfo(token=token)
            person = from_oidc(claims, user_by_email)
        except NotLinked as exc:
            return render_template("login.html", local=False, error=exc.reason), 403
        except Exception as exc:  # noqa: BLE001 - Authlib's OAuthError, the provider unreachable: say so
            log.warning("OIDC sign-in failed: %s", type(exc).__name__)
            return render_template("login.html", local=False, error="Sign-in with your identity provider "
                                   "failed; try again."), 400
        _start_session(person)
        return redirect(_safe_next(target))

    @auth.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("auth.login"))

    return auth


def oidc_client(app, cfg, client_secret: str):
    """Authlib's OIDC client for the configured provider (discovery, PKCE S256, ID token
    signature, issuer, audience and nonce checked by Authlib)."""
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    return oauth.register("idp", server_metadata_url=cfg.oidc.metadata_url, client_id=cfg.oidc.client_id,
                          client_secret=client_secret,
                          client_kwargs={"scope": cfg.oidc.scopes, "code_challenge_method": "S256"})
