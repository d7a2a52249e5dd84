"""`ui`: the browser view at /ui on the serve port. Off unless `enabled`; then people sign in
with OpenID Connect (`oidc`) and are linked to their Slack identity by verified email. The
local workspace turns it on with a local login of its own (no identity provider)."""

from __future__ import annotations

from pydantic import Field, model_validator

from core.validators import Strict


class OidcConfig(Strict):
    # The provider's discovery document, e.g. https://accounts.google.com/.well-known/openid-configuration
    metadata_url: str | None = Field(default=None, pattern=r"^https://")
    client_id: str | None = None  # the secret comes from FIREBREAK_OIDC_CLIENT_SECRET
    scopes: str = "openid email profile"


class UiConfig(Strict):
    enabled: bool = False
    # Where people open it (https://firebreak.example.com): the OIDC redirect URI is
    # <public_url>/ui/auth/callback, and session cookies are Secure.
    public_url: str | None = Field(default=None, pattern=r"^https://[^/]+(/.*)?$")
    oidc: OidcConfig = Field(default_factory=OidcConfig)
    session_hours: int = Field(default=8, ge=1, le=24 * 7)
    # Sign-in attempts per client address per minute (then 429 until the minute is over).
    login_attempts_per_minute: int = Field(default=5, ge=1, le=100)
    timeline_page_size: int = Field(default=50, ge=10, le=500)

    @model_validator(mode="after")
    def _needs_a_login(self) -> "UiConfig":
        if self.enabled and not (self.oidc.metadata_url and self.oidc.client_id and self.public_url):
            raise ValueError("ui.enabled needs ui.public_url, ui.oidc.metadata_url and ui.oidc.client_id "
                             "(people sign in with your identity provider)")
        return self

    @property
    def redirect_uri(self) -> str | None:
        return f"{self.public_url.rstrip('/')}/ui/auth/callback" if self.public_url else None
