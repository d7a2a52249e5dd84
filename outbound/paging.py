"""core.communications.ports.PageTransport over HTTP: PagerDuty Events API v2 or a webhook.

PagerDuty gets `{routing_key, event_action, dedup_key, payload}` (payload on trigger only)
and answers 202 with the dedup_key. A webhook gets Firebreak's own JSON (below), with an
Authorization header when one is configured. Secrets (the routing key, the header) are
read from the environment variables the config names, at send time.

Each event is tried `pager.attempts` times: connection errors, timeouts, 429 and 5xx are
retried after an exponential backoff (Retry-After is honoured, up to a cap); any other 4xx
is final (retrying a refused event cannot help).

Redirects are never followed: urllib would re-send the Authorization header (and for a 302
the event, as a GET) to wherever the answer points, so a 3xx is a final failure naming the
status. Logs and failures name the URL as `scheme://host/…` only: a webhook's query string,
path and user info often hold its token."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Mapping

from core.communications.ports import PageEvent, PageFailed

log = logging.getLogger("firebreak.paging")
MAX_WAIT = 30.0
USER_AGENT = "Firebreak-paging/1"


def pagerduty_body(routing_key: str, event: PageEvent) -> dict:
    body = {"routing_key": routing_key, "event_action": event.action, "dedup_key": event.dedup_key}
    if event.action == "trigger":
        body["payload"] = {"summary": event.summary[:1024], "source": event.source, "severity": event.severity,
                           "custom_details": event.details}
    return body


def webhook_body(event: PageEvent) -> dict:
    return {"type": "firebreak.page", "action": event.action, "dedup_key": event.dedup_key,
            "summary": event.summary, "severity": event.severity, "source": event.source, "details": event.details}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a 3xx as the HTTPError it is, so nothing (the Authorization header least of all)
    goes to the host it names."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def shown_url(url: str) -> str:
    """The URL as logs may show it: scheme and host (port kept), no user info, path or query."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable URL)"
    more = "/…" if parts.path not in ("", "/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}{more}"


class HttpPaging:
    def __init__(self, environ: Mapping[str, str] | None = None, *, backoff_seconds: float = 0.25,
                 sleep: Callable[[float], None] = time.sleep):
        self.environ = os.environ if environ is None else environ
        self.backoff = backoff_seconds
        self.sleep = sleep

    def _secret(self, name: str | None, what: str) -> str | None:
        if name is None:
            return None
        value = self.environ.get(name)
        if not value:
            raise PageFailed(f"{name} is not set in the environment ({what})")
        return value

    def send(self, pager, event: PageEvent) -> str:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if pager.type == "pagerduty":
            url = pager.events_url
            body = pagerduty_body(self._secret(pager.routing_key_env, "the PagerDuty integration key"), event)
        else:
            url = pager.url
            body = webhook_body(event)
            auth = self._secret(pager.auth_header_env, "the webhook's Authorization header")
            if auth:
                headers["Authorization"] = auth
        answer = self._post(url, json.dumps(body).encode(), headers, pager.timeout_seconds, pager.attempts)
        try:
            return str(json.loads(answer or b"{}").get("dedup_key") or event.dedup_key)
        except (ValueError, AttributeError):
            return event.dedup_key

    def _post(self, url: str, data: bytes, headers: dict, timeout: float, attempts: int) -> bytes:
        problem = "not tried"
        for attempt in range(1, attempts + 1):
            wait = self.backoff * (2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with _OPENER.open(request, timeout=timeout) as response:  # noqa: S310 - configured URL
                    return response.read()
            except urllib.error.HTTPError as exc:
                if 300 <= exc.code < 400:
                    raise PageFailed(f"HTTP {exc.code} from {shown_url(url)}: a redirect, not followed "
                                     "(configure the final URL)") from None
                problem = f"HTTP {exc.code}"
                detail = exc.read()[:200].decode("utf-8", "replace").strip()
                if detail:
                    problem += f": {detail}"
                if exc.code != 429 and exc.code < 500:
                    raise PageFailed(problem) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                if retry_after and retry_after.isdigit():
                    wait = max(wait, float(retry_after))
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                problem = str(getattr(exc, "reason", None) or exc).replace(url, shown_url(url))
            if attempt < attempts:
                log.warning("paging %s failed (%s); attempt %d of %d in %.2fs", shown_url(url), problem,
                            attempt + 1, attempts, min(wait, MAX_WAIT))
                self.sleep(min(wait, MAX_WAIT))
        raise PageFailed(f"{problem} after {attempts} attempt(s)")
