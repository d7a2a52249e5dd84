"""A Slack-shaped Web API on loopback.

It backs the embedded local workspace (`python bot.py` without Slack tokens) and every
test: the bot talks to it through the real slack_sdk client, it keeps channels, members
and messages like Slack does, records each call with its parsed body, and can be told to
answer like Slack under trouble (`ok:false` errors, HTTP 429 with Retry-After).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

from local import fake_slack_state
from local.slack_scopes import IM, PRIVATE, PUBLIC, UnlistedMethod, manifest_scopes, refusal

JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "files")
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
UNLISTED_METHOD = "fake_slack_unlisted_method"  # not a Slack error: a method local/slack_scopes.py lacks
log = logging.getLogger("firebreak.fake_slack")


@dataclass
class Call:
    """One request the bot made: Web API method (or `response_url`) and its parsed body."""

    method: str
    body: dict
    headers: dict
    at: float = field(default_factory=time.time)
    answer: dict | None = None  # what the fake answered, kept for refusals (missing_scope, unlisted methods)


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: set = field(default_factory=set)
    topic: str = ""
    purpose: str = ""
    archived: bool = False
    messages: list = field(default_factory=list)
    pins: list = field(default_factory=list)

    def info(self) -> dict:
        return {"id": self.id, "name": self.name, "is_channel": not self.is_private,
                "is_private": self.is_private, "is_archived": self.archived,
                "is_member": "UBOT" in self.members, "num_members": len(self.members),
                "topic": {"value": self.topic}, "purpose": {"value": self.purpose}}


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


class FakeSlack:
    """State and behaviour of the fake workspace; `serve()` puts it on 127.0.0.1."""

    BOT_USER = "UBOT"

    def __init__(self, token: str = "xoxb-local-token", team: str = "Local Workspace",
                 scopes: tuple[str, ...] | list[str] | None = None):
        self.token = token
        self.team = team
        # The bot token's scopes: the manifest's unless a test says otherwise. Calls they do
        # not cover are refused as Slack refuses them (local/slack_scopes.py).
        self.scopes: tuple[str, ...] = tuple(manifest_scopes() if scopes is None else scopes)
        self.calls: list[Call] = []
        self.users: dict[str, dict] = {self.BOT_USER: {"id": self.BOT_USER, "name": "firebreak", "is_bot": True}}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, set] = {}
        self.views: dict[str, dict] = {}
        self.files: dict[str, dict] = {}  # id -> {"name", "title", "content", "channel"}
        self.listeners: list[Callable[[str, dict], None]] = []
        self._failures: dict[str, list[tuple]] = {}
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # ------------------------------------------------------------ workspace set-up
    def add_user(self, name: str, user_id: str | None = None, **profile: Any) -> str:
        with self._lock:
            user_id = user_id or f"U{next(self._ids):07d}"
            self.users[user_id] = {"id": user_id, "name": name, "real_name": profile.get("real_name", name),
                                   "is_bot": False, "tz": "UTC", **profile}
            return user_id

    def add_channel(self, name: str, *, private: bool = False, members: tuple = (), bot: bool = True) -> str:
        with self._lock:
            cid = ("G" if private else "C") + f"{next(self._ids):08d}"
            channel = Channel(cid, name, private, set(members) | ({self.BOT_USER} if bot else set()))
            self.channels[cid] = channel
            return cid

    def user_id(self, name: str) -> str | None:
        return next((u for u, p in self.users.items() if p["name"] == name), None)

    def channel_id(self, name_or_id: str) -> str | None:
        key = name_or_id.lstrip("#")
        if key in self.channels:
            return key
        return next((c.id for c in self.channels.values() if c.name == key), None)

    def user_name(self, user_id: str) -> str:
        return self.users.get(user_id, {}).get("name", user_id)

    def add_user_message(self, channel: str, user_id: str, text: str) -> dict:
        """A person writes in a channel (no bot call involved)."""
        with self._lock:
            message = {"type": "message", "ts": self._next_ts(), "user": user_id, "text": text, "blocks": []}
            self._channel(channel).messages.append(message)
            return message

    def react(self, channel: str, ts: str, name: str, user_id: str, *, add: bool = True) -> int:
        """A person adds or removes a reaction; returns how many of `name` remain."""
        with self._lock:
            message = next((m for m in self._channel(channel).messages if m.get("ts") == ts), None)
            if message is None:
                raise SlackError("message_not_found")
            reactions = message.setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == name), None)
            if add and entry is None:
                entry = {"name": name, "users": [], "count": 0}
                reactions.append(entry)
            if entry is not None:
                users = set(entry["users"])
                users.add(user_id) if add else users.discard(user_id)
                entry["users"], entry["count"] = sorted(users), len(users)
                if not users:
                    reactions.remove(entry)
            return entry["count"] if entry else 0

    # ------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Keep the workspace between runs of the local default (its database outlives it)."""
        fake_slack_state.save(self, path)

    def load(self, path) -> bool:
        """Restore a saved workspace; False (and nothing changed) if there is none or it is unreadable."""
        return fake_slack_state.load(self, path)

    # ------------------------------------------------------------ trouble on demand
    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer ok:false with `error`."""
        with self._lock:
            self._failures.setdefault(method, []).extend([("error", error)] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        with self._lock:
            self._failures.setdefault(method, []).extend([("ratelimited", retry_after)] * times)

    outage_status: int | None = None  # set by `outage`: every request answers this HTTP status

    def outage(self, status: int | None = 500) -> None:
        """Every request (Web API, response_url, upload) answers HTTP `status` from now on, as
        Slack does when it is down; `outage(None)` ends it. Calls are still recorded."""
        with self._lock:
            self.outage_status = status

    # ------------------------------------------------------------ inspection
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, where: Callable[[Call], bool] = lambda c: True,
                 count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` matching calls happened (the bot works after its ack)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method and where(c)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls})
                    raise AssertionError(f"expected {count} call(s) to {method}, got {len(found)}; "
                                         f"methods called: {seen}")
                self._changed.wait(left)

    def file(self, file_id: str) -> dict | None:
        """An uploaded file: {"name", "title", "content" (bytes, None until uploaded), "channel"}."""
        with self._lock:
            record = self.files.get(file_id)
            return dict(record) if record else None

    def messages(self, channel: str) -> list[dict]:
        with self._lock:
            cid = self.channel_id(channel)
            return list(self.channels[cid].messages) if cid else []

    # ------------------------------------------------------------ HTTP
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "FakeSlack":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle(self.path, dict(self.headers), raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="fake-slack", daemon=True).start()
        return self

    @property
    def api_url(self) -> str:
        """Value for SLACK_API_URL / WebClient(base_url=...)."""
        return self.url + "/api/"

    def response_url(self, channel: str, user: str) -> str:
        return f"{self.url}/response/{channel}/{user}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict, dict]:
        parsed = urlparse(path)
        body = _parse_body(headers, raw)
        if self.outage_status is not None:
            self._record(Call(parsed.path.removeprefix("/api/"), body, headers))
            return self.outage_status, {}, {"ok": False, "error": "internal_error"}
        if parsed.path.startswith("/upload/"):
            file_id = parsed.path.removeprefix("/upload/")
            with self._lock:
                if file_id not in self.files:
                    return 404, {}, {"ok": False, "error": "unknown_upload"}
                self.files[file_id]["content"] = raw
            self._record(Call("file_upload", {"file": file_id, "bytes": len(raw)}, headers))
            return 200, {}, {"ok": True}
        if parsed.path.startswith("/response/"):
            _, _, channel, user = parsed.path.split("/", 3)
            return 200, {}, self._record_and_run("response_url", body, headers,
                                                 lambda: self._respond(channel, user, body))
        method = parsed.path.removeprefix("/api/")
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or body.get("token", "")
        with self._lock:
            queued = self._failures.get(method)
            trouble = queued.pop(0) if queued else None
        if trouble and trouble[0] == "ratelimited":
            self._record(Call(method, body, headers))
            return 429, {"Retry-After": str(trouble[1])}, {"ok": False, "error": "ratelimited"}
        if token != self.token:
            self._record(Call(method, body, headers))
            return 200, {}, {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if trouble:
            self._record(Call(method, body, headers))
            return 200, {}, {"ok": False, "error": trouble[1]}
        refused = self._refuse_by_scope(method, body, headers)
        if refused is not None:
            return refused
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(Call(method, body, headers))
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, self._record_and_run(method, body, headers, lambda: handler(body))

    # ------------------------------------------------------------ scopes
    def _refuse_by_scope(self, method: str, body: dict, headers: dict) -> tuple[int, dict, dict] | None:
        """Slack's answer when the token lacks a scope the method needs (None: go ahead).
        A method local/slack_scopes.py does not list fails loudly: HTTP 500 with an error no
        Slack method ever answers, and an error in the log."""
        with self._lock:
            try:
                refused = refusal(method, body, self.scopes, self._conversation_kind,
                                  lambda ref: self.BOT_USER in self._channel(ref).members)
            except UnlistedMethod as exc:
                log.error("%s", exc)
                answer = {"ok": False, "error": UNLISTED_METHOD, "detail": str(exc)}
                self._record(Call(method, body, headers, answer=answer))
                return 500, {}, answer
        if refused is None:
            return None
        answer = {"ok": False, "error": refused.error}
        if refused.error == "missing_scope":
            answer.update(needed=refused.needed, provided=",".join(self.scopes))
        self._record(Call(method, body, headers, answer=answer))
        scope_headers = {"X-OAuth-Scopes": ",".join(self.scopes)}  # as Slack sends them
        if refused.needed:
            scope_headers["X-Accepted-OAuth-Scopes"] = refused.needed
        return 200, scope_headers, answer

    def _conversation_kind(self, ref: str) -> str | None:
        """public_channel, private_channel or im for a channel argument; None if there is none."""
        cid = self.channel_id(ref or "")
        if cid is None:
            return IM if ref in self.users and ref != self.BOT_USER else None
        if cid in self.users:  # the app's DM with a user, kept under the user's id
            return IM
        return PRIVATE if self.channels[cid].is_private else PUBLIC

    def refusals(self, error: str | None = None) -> list[Call]:
        """Calls the fake refused for want of a scope or an unlisted method (of `error` only, if given)."""
        with self._lock:
            return [c for c in self.calls if c.answer is not None and (error is None or c.answer["error"] == error)]

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _record_and_run(self, method: str, body: dict, headers: dict, run: Callable[[], dict]) -> dict:
        try:
            with self._lock:
                result = {"ok": True, **run()}
        except SlackError as exc:
            result = {"ok": False, "error": exc.error, **exc.extra}
        self._record(Call(method, body, headers))
        return result

    def _notify(self, kind: str, event: dict) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, event)
            except Exception:  # a broken console must not break the API
                pass

    # ------------------------------------------------------------ Web API methods
    def _channel(self, ref: str | None) -> Channel:
        cid = self.channel_id(ref or "")
        if cid is None and ref in self.users and ref != self.BOT_USER:
            return self._direct_messages(ref)  # like Slack: posting to a user id lands in their DM with the app
        if cid is None:
            raise SlackError("channel_not_found")
        return self.channels[cid]

    def _direct_messages(self, user_id: str) -> Channel:
        """The app's DM with a user, kept under the user's id (so `messages(user_id)` reads it)."""
        channel = Channel(id=user_id, name=f"dm-{self.users[user_id]['name']}", is_private=True,
                          members={user_id, self.BOT_USER})
        self.channels[user_id] = channel
        return channel

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def api_auth_test(self, body: dict) -> dict:
        return {"url": self.url + "/", "team": self.team, "user": "firebreak", "team_id": "T0LOCAL",
                "user_id": self.BOT_USER, "bot_id": "B0LOCAL"}

    def api_chat_postMessage(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if channel.archived:
            raise SlackError("is_archived")
        if channel.is_private and self.BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        if not body.get("text") and not body.get("blocks") and not body.get("attachments"):
            raise SlackError("no_text")
        if len(body.get("blocks") or []) > 50:
            raise SlackError("invalid_blocks", errors=["too many blocks (max 50)"])
        message = {"type": "message", "ts": self._next_ts(), "user": self.BOT_USER,
                   "text": body.get("text", ""), "blocks": body.get("blocks") or [],
                   "attachments": body.get("attachments") or [], "thread_ts": body.get("thread_ts")}
        channel.messages.append(message)
        self._notify("message", {"channel": channel.id, "message": message})
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def api_chat_postEphemeral(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        message = {"type": "message", "text": body.get("text", ""), "blocks": body.get("blocks") or []}
        self._notify("ephemeral", {"channel": channel.id, "user": body.get("user"), "message": message})
        return {"message_ts": self._next_ts()}

    def api_chat_update(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        for message in channel.messages:
            if message["ts"] == body.get("ts"):
                message.update({k: body[k] for k in ("text", "blocks", "attachments") if k in body})
                self._notify("update", {"channel": channel.id, "message": message})
                return {"channel": channel.id, "ts": message["ts"], "text": message["text"]}
        raise SlackError("message_not_found")

    def api_chat_getPermalink(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        return {"channel": channel.id,
                "permalink": f"{self.url}/archives/{channel.id}/p{str(body.get('message_ts')).replace('.', '')}"}

    def api_conversations_create(self, body: dict) -> dict:
        name = str(body.get("name", ""))
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.channels.values()):
            raise SlackError("name_taken")
        private = str(body.get("is_private", "false")).lower() in ("true", "1")
        cid = self.add_channel(name, private=private)
        return {"channel": self.channels[cid].info()}

    def api_conversations_info(self, body: dict) -> dict:
        return {"channel": self._channel(body.get("channel")).info()}

    def api_conversations_list(self, body: dict) -> dict:
        return {"channels": [c.info() for c in self.channels.values() if not c.archived],
                "response_metadata": {"next_cursor": ""}}

    def api_conversations_members(self, body: dict) -> dict:
        return {"members": sorted(self._channel(body.get("channel")).members),
                "response_metadata": {"next_cursor": ""}}

    def api_conversations_join(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.add(self.BOT_USER)
        return {"channel": channel.info()}

    def api_conversations_invite(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if self.BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        users = [u for u in str(body.get("users", "")).split(",") if u]
        unknown = [u for u in users if u not in self.users]
        if unknown:
            raise SlackError("user_not_found", errors=[{"user": u, "error": "user_not_found"} for u in unknown])
        if users and all(u in channel.members for u in users):
            raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": channel.info()}

    def api_conversations_setTopic(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        channel.topic = body.get("topic", "")
        return {"channel": channel.info()}

    def api_conversations_setPurpose(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        channel.purpose = body.get("purpose", "")
        return {"channel": channel.info()}

    def api_conversations_history(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if self.BOT_USER not in channel.members:
            raise SlackError("not_in_channel")
        messages = list(reversed(channel.messages))
        if body.get("latest"):
            inclusive = str(body.get("inclusive", "")).lower() in ("true", "1")
            latest = float(body["latest"])
            messages = [m for m in messages if float(m["ts"]) < latest or (inclusive and float(m["ts"]) == latest)]
        limit = int(body.get("limit") or 100)
        return {"messages": messages[:limit], "has_more": len(messages) > limit}

    def api_conversations_archive(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if channel.archived:
            raise SlackError("already_archived")
        channel.archived = True
        return {}

    def api_pins_add(self, body: dict) -> dict:
        channel = self._channel(body.get("channel"))
        if body.get("timestamp") in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(body.get("timestamp"))
        return {}

    def api_users_info(self, body: dict) -> dict:
        user = self.users.get(body.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def api_users_lookupByEmail(self, body: dict) -> dict:
        wanted = (body.get("email") or "").lower()
        user = next((u for u in self.users.values() if wanted and wanted == str(
            (u.get("profile") or {}).get("email") or u.get("email") or "").lower()), None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": user}

    def api_users_list(self, body: dict) -> dict:
        return {"members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}

    def api_usergroups_users_list(self, body: dict) -> dict:
        group = self.usergroups.get(body.get("usergroup", ""))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": sorted(group)}

    def api_views_open(self, body: dict) -> dict:
        if not body.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = dict(body.get("view") or {})
        view["id"] = f"V{next(self._ids):08d}"
        self.views[view["id"]] = view
        self._notify("view", {"view": view, "trigger_id": body.get("trigger_id")})
        return {"view": view}

    def api_views_update(self, body: dict) -> dict:
        view_id = body.get("view_id", "")
        if view_id not in self.views:
            raise SlackError("not_found")
        view = dict(body.get("view") or {}, id=view_id)
        self.views[view_id] = view
        self._notify("view", {"view": view})
        return {"view": view}

    def api_files_getUploadURLExternal(self, body: dict) -> dict:
        if not body.get("filename") or not str(body.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = {"name": body["filename"], "title": body["filename"], "content": None, "channel": None}
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, body: dict) -> dict:
        files = body.get("files") or []
        if any(f.get("id") not in self.files or self.files[f["id"]]["content"] is None for f in files):
            raise SlackError("file_not_found")
        channel = self._channel(body.get("channel_id")) if body.get("channel_id") else None
        shared = []
        for f in files:
            record = self.files[f["id"]]
            record.update(title=f.get("title") or record["name"], channel=channel.id if channel else None)
            shared.append({"id": f["id"], "name": record["name"], "title": record["title"]})
            if channel:
                message = {"type": "message", "ts": self._next_ts(), "user": self.BOT_USER,
                           "text": body.get("initial_comment") or "", "blocks": [], "files": [shared[-1]]}
                channel.messages.append(message)
                self._notify("message", {"channel": channel.id, "message": message})
        return {"files": shared}

    def _respond(self, channel: str, user: str, body: dict) -> dict:
        message = {"type": "message", "text": body.get("text", ""), "blocks": body.get("blocks") or [],
                   "user": self.BOT_USER}
        if body.get("response_type") == "in_channel" and channel in self.channels:
            message["ts"] = self._next_ts()
            self.channels[channel].messages.append(message)
            self._notify("message", {"channel": channel, "message": message})
        else:
            self._notify("ephemeral", {"channel": channel, "user": user, "message": message})
        return {}


def _parse_body(headers: dict, raw: bytes) -> dict:
    content_type = (headers.get("Content-Type") or headers.get("content-type") or "").lower()
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            body = json.loads(text) if text else {}
        except json.JSONDecodeError:
            return {"_raw": text}
    else:
        body = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    for key in JSON_FIELDS:
        if isinstance(body.get(key), str):
            try:
                body[key] = json.loads(body[key])
            except json.JSONDecodeError:
                pass
    return body
