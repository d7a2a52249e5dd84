"""Wiring of the browser view (web/ui) into the WSGI front door: which login it gets, its
session key, and the report's charts (reports/, which web never imports)."""

from __future__ import annotations

import logging
import secrets as random
from typing import Any, Mapping

from core.services import Services

log = logging.getLogger("firebreak")


def browser_view(services: Services, local_people: Mapping[str, str] | None = None) -> Any | None:
    """The /ui app, or None when it is not to be served. The local workspace (`local_people`:
    its users by name) signs in with a form over loopback HTTP; elsewhere `ui.enabled` turns
    it on with OIDC, and then both FIREBREAK_UI_SECRET_KEY and FIREBREAK_OIDC_CLIENT_SECRET
    must be set (refused otherwise, and said so: a guessable session key forges logins)."""
    from web import ui

    cfg, secrets = services.config.ui, services.settings.secrets
    if local_people is not None:
        login = ui.Login(secret_key=secrets.ui_secret_key or random.token_hex(32), local_people=dict(local_people),
                         secure_cookies=False)  # http://127.0.0.1: a Secure cookie would never come back
    elif cfg.enabled:
        missing = [name for name, value in (("FIREBREAK_UI_SECRET_KEY", secrets.ui_secret_key),
                                            ("FIREBREAK_OIDC_CLIENT_SECRET", secrets.oidc_client_secret)) if not value]
        if missing:
            log.error("the browser view (/ui) is not served: ui.enabled needs %s in the environment",
                      " and ".join(missing))
            return None
        if len(secrets.ui_secret_key) < 32:
            log.error("the browser view (/ui) is not served: FIREBREAK_UI_SECRET_KEY must be at least 32 characters")
            return None
        login = ui.Login(secret_key=secrets.ui_secret_key, client_secret=secrets.oidc_client_secret)
    else:
        return None
    from reports.charts import draw

    return ui.build(services, login, draw_charts=draw)
