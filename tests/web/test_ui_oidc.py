"""Signing in to the browser view with OpenID Connect: the configuration it needs, the
redirect to the identity provider (Authlib: PKCE, state, nonce, the configured redirect
URI), Secure session cookies, and the link to Slack by verified email only."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlparse

import pytest
from werkzeug.test import Client

from composition import build_services
from composition.browser import browser_view
from core.errors import ConfigError
from core.settings import load_settings
from handlers.app import build_client
from handlers.directory import SlackDirectory
from local.fake_slack import FakeSlack
from web.app import WebApp
from web.ui.identity import NotLinked, from_oidc

IDP = "https://idp.example.com"
UI = {"enabled": True, "public_url": "https://firebreak.example.com",
      "oidc": {"metadata_url": f"{IDP}/.well-known/openid-configuration", "client_id": "firebreak"}}


def with_ui(tmp_path, environ: dict, ui: dict = UI):
    import yaml

    path = tmp_path / "firebreak.yaml"
    path.write_text(yaml.safe_dump({"ui": ui}))
    return load_settings(path, environ=environ)


def test_ui_enabled_needs_the_provider_and_the_public_url(tmp_path):
    with pytest.raises(ConfigError, match="ui.enabled needs ui.public_url"):
        with_ui(tmp_path, {}, {"enabled": True})
    with pytest.raises(ConfigError, match="public_url"):
        with_ui(tmp_path, {}, {**UI, "public_url": "http://firebreak.example.com"})  # https only


def test_not_served_without_its_secrets(tmp_path, clean_db, caplog):
    services = build_services(with_ui(tmp_path, {"DATABASE_URL": clean_db}))
    try:
        assert browser_view(services) is None
        assert "FIREBREAK_UI_SECRET_KEY and FIREBREAK_OIDC_CLIENT_SECRET" in caplog.text
    finally:
        services.drain()


def test_sign_in_goes_to_the_provider_with_pkce_and_secure_cookies(tmp_path, clean_db):
    environ = {"DATABASE_URL": clean_db, "FIREBREAK_UI_SECRET_KEY": "k" * 40, "FIREBREAK_OIDC_CLIENT_SECRET": "s3cr3t"}
    services = build_services(with_ui(tmp_path, environ))
    try:
        app = browser_view(services)
        # the provider's discovery document, as it would have been fetched (no network in tests)
        app.extensions["firebreak_oidc"].server_metadata.update({
            "_loaded_at": 1, "issuer": IDP, "authorization_endpoint": f"{IDP}/authorize",
            "token_endpoint": f"{IDP}/token", "jwks_uri": f"{IDP}/jwks"})
        client = Client(WebApp(lambda environ: (404, {}, b""), services, ui=app))
        page = client.get("/ui/login").get_data(as_text=True)
        assert "Sign in with your identity provider" in page and 'name="person"' not in page  # no local login
        assert client.post("/ui/login", data={"person": "alice"}).status_code in (400, 404)

        answer = client.get("/ui/login?go=1", environ_base={"wsgi.url_scheme": "https"})
        assert answer.status_code == 302
        where = urlparse(answer.headers["Location"])
        query = parse_qs(where.query)
        assert f"{where.scheme}://{where.netloc}{where.path}" == f"{IDP}/authorize"
        assert query["redirect_uri"] == ["https://firebreak.example.com/ui/auth/callback"]
        assert query["client_id"] == ["firebreak"] and query["code_challenge_method"] == ["S256"]
        assert query["state"] and query["nonce"] and "s3cr3t" not in answer.headers["Location"]
        cookie = answer.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        services.drain()


def test_only_a_verified_email_links_to_a_slack_account():
    people = {"ana@example.com": "U0ANA"}
    assert from_oidc({"email": "ana@example.com", "email_verified": True, "name": "Ana"}, people.get).user_id == "U0ANA"
    for claims, why in (({"email": "ana@example.com"}, "not verified"),
                        ({"email": "ana@example.com", "email_verified": "true"}, "not verified"),
                        ({"email_verified": True}, "did not send an email"),
                        ({"email": "eve@example.com", "email_verified": True}, "No Slack account")):
        with pytest.raises(NotLinked) as refused:
            from_oidc(claims, people.get)
        assert why in refused.value.reason, (claims, refused.value.reason)


def test_slack_finds_the_person_by_email_with_the_manifest_scope():
    fake = FakeSlack(token="xoxb-test")
    fake.serve("127.0.0.1", 0)
    try:
        ana = fake.add_user("ana", profile={"email": "Ana@Example.com"})
        directory = SlackDirectory(build_client(fake.token, fake.api_url))
        assert directory.user_by_email("ana@example.com") == ana
        assert directory.user_by_email("eve@example.com") is None
        assert not fake.refusals()
        scoped = FakeSlack(token="xoxb-test2", scopes=("users:read",))  # without users:read.email
        scoped.serve("127.0.0.1", 0)
        try:
            scoped.add_user("ana", profile={"email": "ana@example.com"})
            assert SlackDirectory(build_client(scoped.token, scoped.api_url)).user_by_email("ana@example.com") is None
        finally:
            scoped.stop()
    finally:
        fake.stop()


class Directory:
    """The one Slack account this test's provider vouches for."""

    def group_members(self, group_id):
        return set()

    def name(self, user_id):
        return {"U0ANA": "ana"}.get(user_id)

    def user_by_email(self, email):
        return {"ana@example.com": "U0ANA"}.get(email.lower())


@pytest.fixture
def oidc_ui(tmp_path, clean_db):
    environ = {"DATABASE_URL": clean_db, "FIREBREAK_UI_SECRET_KEY": "k" * 40, "FIREBREAK_OIDC_CLIENT_SECRET": "s3cr3t"}
    services = build_services(with_ui(tmp_path, environ), directory=Directory())
    app = browser_view(services)
    client = app.extensions["firebreak_oidc"]
    client.server_metadata.update({"_loaded_at": 1, "issuer": IDP, "authorization_endpoint": f"{IDP}/authorize",
                                   "token_endpoint": f"{IDP}/token", "jwks_uri": f"{IDP}/jwks"})
    yield Client(WebApp(lambda environ: (404, {}, b""), services, ui=app)), client
    services.drain()


def come_back(browser, provider, claims=None, error: Exception | None = None):
    """The provider sends the person back: Authlib's token exchange and ID token checks are
    Authlib's (and need the provider); here it hands over the claims it validated."""
    def exchange(**_):
        if error is not None:
            raise error
        return {"access_token": "at", "userinfo": claims}

    provider.authorize_access_token = exchange
    https = {"wsgi.url_scheme": "https"}
    browser.get("/ui/login?go=1&next=/report", environ_base=https)
    return browser.get("/ui/auth/callback?code=c&state=s", environ_base=https)


def test_a_verified_email_signs_in_as_its_slack_account(oidc_ui):
    browser, provider = oidc_ui
    answer = come_back(browser, provider, {"email": "Ana@Example.com", "email_verified": True, "name": "Ana"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/ui/report", "back where they asked to go"
    page = browser.get("/ui/incidents", environ_base={"wsgi.url_scheme": "https"})
    assert page.status_code == 200 and "Ana" in page.get_data(as_text=True)


def test_an_unverified_email_or_a_failed_exchange_signs_nobody_in(oidc_ui):
    browser, provider = oidc_ui
    refused = come_back(browser, provider, {"email": "ana@example.com", "email_verified": False})
    assert refused.status_code == 403 and "has not verified" in refused.get_data(as_text=True)
    assert browser.get("/ui/incidents", environ_base={"wsgi.url_scheme": "https"}).status_code == 302
    failed = come_back(browser, provider, error=RuntimeError("mismatching_state"))
    assert failed.status_code == 400 and "failed; try again" in failed.get_data(as_text=True)
    assert browser.get("/ui/incidents", environ_base={"wsgi.url_scheme": "https"}).status_code == 302
