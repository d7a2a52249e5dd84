"""Plays Slack's part towards the bot: builds slash-command, interactivity and Events API
payloads, signs them like Slack (v0 HMAC-SHA256) and POSTs them over real HTTP.

The local console and the tests both go through here, so what works locally went through
the same signature check, parsing and routing as a request from Slack would.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


@dataclass
class Reply:
    status: int
    body: str
    headers: dict

    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}


class SlackSender:
    """Signs and sends Slack requests to the bot's `/slack/events` endpoint."""

    def __init__(self, bot_url: str, signing_secret: str, *, team_id: str = "T0LOCAL",
                 response_url: callable = None):
        self.endpoint = bot_url.rstrip("/") + "/slack/events"
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.response_url = response_url or (lambda channel, user: "")
        self._seq = itertools.count(1)

    def _trigger(self) -> str:
        return f"{int(time.time())}.{next(self._seq)}.local{time.time_ns() % 10**9:09d}"

    # ------------------------------------------------------------------ payloads
    def command(self, command: str, text: str, *, user: str, channel: str, channel_name: str = "",
                trigger_id: str | None = None, **send: object) -> Reply:
        form = {
            "token": "unused", "team_id": self.team_id, "team_domain": "local",
            "channel_id": channel, "channel_name": channel_name or channel,
            "user_id": user, "user_name": user, "command": command, "text": text,
            "api_app_id": "A0LOCAL", "is_enterprise_install": "false",
            "response_url": self.response_url(channel, user),
            "trigger_id": trigger_id or self._trigger(),
        }
        return self.send(urlencode(form), **send)

    def block_action(self, *, user: str, channel: str, action_id: str, value: str = "",
                     block_id: str = "b", message: dict | None = None, selected: dict | None = None,
                     trigger_id: str | None = None, **send: object) -> Reply:
        action = {"type": "static_select" if selected else "button", "action_id": action_id,
                  "block_id": block_id, "action_ts": f"{time.time():.6f}"}
        if selected:
            action["selected_option"] = selected
        else:
            action["value"] = value
        payload = {
            "type": "block_actions", "team": {"id": self.team_id, "domain": "local"},
            "user": {"id": user, "username": user, "team_id": self.team_id},
            "api_app_id": "A0LOCAL", "trigger_id": trigger_id or self._trigger(),
            "channel": {"id": channel, "name": channel}, "container": {
                "type": "message", "message_ts": (message or {}).get("ts", ""), "channel_id": channel},
            "message": message or {}, "response_url": self.response_url(channel, user),
            "actions": [action],
        }
        return self.send(urlencode({"payload": json.dumps(payload)}), **send)

    def view_submission(self, *, user: str, callback_id: str, values: dict, private_metadata: str = "",
                        view_id: str = "V0LOCAL", **send: object) -> Reply:
        payload = {
            "type": "view_submission", "team": {"id": self.team_id, "domain": "local"},
            "user": {"id": user, "username": user, "team_id": self.team_id}, "api_app_id": "A0LOCAL",
            "trigger_id": self._trigger(),
            "view": {"id": view_id, "type": "modal", "callback_id": callback_id,
                     "private_metadata": private_metadata, "state": {"values": values},
                     "team_id": self.team_id, "app_id": "A0LOCAL"},
            "response_urls": [],
        }
        return self.send(urlencode({"payload": json.dumps(payload)}), **send)

    def event(self, event: dict, *, event_id: str | None = None, **send: object) -> Reply:
        envelope = {
            "token": "unused", "team_id": self.team_id, "api_app_id": "A0LOCAL", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{time.time_ns()}",
            "event_time": int(time.time()), "authorizations": [
                {"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}],
        }
        return self.send(json.dumps(envelope), content_type="application/json", **send)

    # ------------------------------------------------------------------ transport
    def sign(self, body: str, timestamp: int | None = None, secret: str | None = None) -> dict:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        verifier = SignatureVerifier(secret or self.signing_secret)
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body)}

    def send(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
             timestamp: int | None = None, secret: str | None = None, retry_num: int | None = None,
             signature: str | None = None, timeout: float = 10.0) -> Reply:
        headers = {"Content-Type": content_type, **self.sign(body, timestamp, secret)}
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        request = urllib.request.Request(self.endpoint, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as err:
            return Reply(err.code, err.read().decode(), dict(err.headers))
