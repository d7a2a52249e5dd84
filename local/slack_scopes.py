"""The bot-token scopes each Slack Web API method needs, so the fake Slack refuses what
Slack refuses (issue 20).

Every entry comes from Slack's method reference, docs.slack.dev/reference/methods/<method>
("Scopes: Bot token"); a `# source:` line under each names the page and anything else read
to model it. The Conversations API's scopes depend on the kind of conversation: "You only
need the scopes corresponding to that conversation type" (conversations.* pages), i.e. a
`channels:` scope for a public channel, `groups:` for a private one, `im:`/`mpim:` for
direct messages. Where a page lists several scopes for one kind (channels:manage or the
narrower channels:write.topic), any one of them will do; the first is the one Slack's
refusal names as `needed`. `channels:write` is left out: the reference lists it on these
pages, but its own page says it is a user-token scope, so no bot can be granted it.

A method missing here is a bug: the fake refuses it loudly, and
tests/local/test_slack_scopes.py fails if the code calls one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Mapping

from core.yaml_lines import safe_load

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"

PUBLIC, PRIVATE, IM, MPIM = "public_channel", "private_channel", "im", "mpim"
KINDS = (PUBLIC, PRIVATE, IM, MPIM)


@dataclass(frozen=True)
class Needs:
    """What one method needs from the bot token.

    `scopes`: needed whatever the call is about. `by_kind`: for the Conversations API, the
    scopes accepted for each kind of conversation (any one of them); the kind comes from
    `kind_from`: the `channel` argument's conversation, `is_private` (conversations.create)
    or the `types` argument (conversations.list, one kind per listed type).
    `outside_public`: the scope needed to act in a public channel the bot is not a member
    of (without it Slack answers not_in_channel, not missing_scope).
    """

    scopes: tuple[str, ...] = ()
    by_kind: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kind_from: Literal["channel", "is_private", "types"] = "channel"
    outside_public: tuple[str, ...] = ()


def _conversations(public: tuple[str, ...], private: tuple[str, ...], im: tuple[str, ...],
                   mpim: tuple[str, ...], kind_from: Literal["channel", "is_private", "types"] = "channel") -> Needs:
    return Needs(by_kind={PUBLIC: public, PRIVATE: private, IM: im, MPIM: mpim}, kind_from=kind_from)


_READ = dict(public=("channels:read",), private=("groups:read",), im=("im:read",), mpim=("mpim:read",))
_HISTORY = dict(public=("channels:history",), private=("groups:history",), im=("im:history",),
                mpim=("mpim:history",))
_MANAGE = dict(public=("channels:manage",), private=("groups:write",), im=("im:write",), mpim=("mpim:write",))
_TOPIC = dict(public=("channels:manage", "channels:write.topic"), private=("groups:write", "groups:write.topic"),
              im=("im:write", "im:write.topic"), mpim=("mpim:write", "mpim:write.topic"))

METHOD_SCOPES: dict[str, Needs] = {
    "auth.test": Needs(),
    # source: docs.slack.dev/reference/methods/auth.test: no scope required. Bolt calls it
    # for the bot's own id (slack_bolt/middleware/authorization/single_team_authorization.py).
    "chat.getPermalink": Needs(),
    # source: docs.slack.dev/reference/methods/chat.getPermalink: "scopes": {} (no scope).
    "chat.postEphemeral": Needs(scopes=("chat:write",)),
    # source: docs.slack.dev/reference/methods/chat.postEphemeral: bot chat:write
    # (and docs.slack.dev/reference/scopes/chat.write lists it).
    "chat.postMessage": Needs(scopes=("chat:write",), outside_public=("chat:write.public",)),
    # source: docs.slack.dev/reference/methods/chat.postMessage: bot chat:write; not_in_channel
    # "Cannot post user messages to a channel they are not in". docs.slack.dev/reference/
    # scopes/chat.write.public: "Send messages to channels your Slack app isn't a member of
    # ... your app must also request chat:write".
    "chat.update": Needs(scopes=("chat:write",)),
    # source: docs.slack.dev/reference/methods/chat.update: bot chat:write.
    "conversations.archive": _conversations(**_MANAGE),
    # source: docs.slack.dev/reference/methods/conversations.archive: bot channels:manage,
    # groups:write, im:write, mpim:write.
    "conversations.create": _conversations(**_MANAGE, kind_from="is_private"),
    # source: docs.slack.dev/reference/methods/conversations.create: bot channels:manage,
    # groups:write, im:write, mpim:write; is_private picks the kind.
    "conversations.history": _conversations(**_HISTORY),
    # source: docs.slack.dev/reference/methods/conversations.history: bot channels:history,
    # groups:history, im:history, mpim:history (docs.slack.dev/reference/scopes/channels.history).
    # Slack's refusal for a private channel with only channels:history, seen in
    # DataDog/slapr#47: {"error": "missing_scope", "needed": "groups:history",
    # "provided": "channels:history,reactions:read,reactions:write"}.
    "conversations.info": _conversations(**_READ),
    # source: docs.slack.dev/reference/methods/conversations.info: bot channels:read,
    # groups:read, im:read, mpim:read (docs.slack.dev/reference/scopes/groups:read lists it).
    "conversations.invite": _conversations(public=("channels:manage", "channels:write.invites"),
                                           private=("groups:write", "groups:write.invites"),
                                           im=("im:write",), mpim=("mpim:write",)),
    # source: docs.slack.dev/reference/methods/conversations.invite: bot channels:manage,
    # channels:write.invites, groups:write, groups:write.invites, im:write, mpim:write.
    "conversations.join": Needs(scopes=("channels:join",)),
    # source: docs.slack.dev/reference/methods/conversations.join: bot channels:join.
    "conversations.list": _conversations(**_READ, kind_from="types"),
    # source: docs.slack.dev/reference/methods/conversations.list: bot channels:read,
    # groups:read, im:read, mpim:read; `types` defaults to public_channel.
    "conversations.members": _conversations(**_READ),
    # source: docs.slack.dev/reference/methods/conversations.members: bot channels:read,
    # groups:read, im:read, mpim:read; "This Conversations API method's required scopes
    # depend on the type of channel-like object you're working with" (api.slack.com).
    "conversations.setPurpose": _conversations(**_TOPIC),
    # source: docs.slack.dev/reference/methods/conversations.setPurpose: bot channels:manage,
    # channels:write.topic, groups:write, groups:write.topic, im:write, im:write.topic,
    # mpim:write, mpim:write.topic.
    "conversations.setTopic": _conversations(**_TOPIC),
    # source: docs.slack.dev/reference/methods/conversations.setTopic: the same as setPurpose.
    "files.completeUploadExternal": Needs(scopes=("files:write",)),
    # source: docs.slack.dev/reference/methods/files.completeUploadExternal: bot files:write.
    "files.getUploadURLExternal": Needs(scopes=("files:write",)),
    # source: docs.slack.dev/reference/methods/files.getUploadURLExternal: bot files:write.
    "pins.add": Needs(scopes=("pins:write",)),
    # source: docs.slack.dev/reference/methods/pins.add: bot pins:write.
    "usergroups.users.list": Needs(scopes=("usergroups:read",)),
    # source: docs.slack.dev/reference/methods/usergroups.users.list: bot usergroups:read.
    "users.info": Needs(scopes=("users:read",)),
    # source: docs.slack.dev/reference/methods/users.info: bot users:read.
    "users.lookupByEmail": Needs(scopes=("users:read.email",)),
    # source: docs.slack.dev/reference/methods/users.lookupByEmail: bot users:read.email.
    "users.list": Needs(scopes=("users:read",)),
    # source: docs.slack.dev/reference/methods/users.list: bot users:read.
    "views.open": Needs(),
    # source: docs.slack.dev/reference/methods/views.open: "No scopes required".
    "views.update": Needs(),
    # source: docs.slack.dev/reference/methods/views.update: "scopes": {} (no scope).
}


class UnlistedMethod(KeyError):
    """A Web API method with no entry in METHOD_SCOPES."""

    def __init__(self, method: str):
        super().__init__(method)
        self.method = method

    def __str__(self) -> str:
        return (f"{self.method} is not in local/slack_scopes.py: add the bot scopes Slack's method reference "
                f"(docs.slack.dev/reference/methods/{self.method}) gives it")


@dataclass(frozen=True)
class Refusal:
    """How Slack refuses a call: `error` and, for missing_scope, the scope it names."""

    error: str
    needed: str = ""


def manifest_scopes(path: Path = MANIFEST) -> tuple[str, ...]:
    """The bot scopes manifest.yml grants (oauth_config.scopes.bot), in its order."""
    manifest = safe_load(Path(path).read_text())
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


def refusal(method: str, body: dict, granted, kind_of: Callable[[str], str | None],
            is_member: Callable[[str], bool] = lambda channel: True) -> Refusal | None:
    """Why Slack would refuse this call for want of a scope (None: it would not).

    `kind_of(channel)` says which kind of conversation a channel argument is (None when the
    channel does not exist: Slack then answers channel_not_found, which is not ours to say);
    `is_member(channel)` whether the bot is in it. Raises UnlistedMethod for a method the
    table lacks."""
    needs = METHOD_SCOPES.get(method)
    if needs is None:
        raise UnlistedMethod(method)
    granted = set(granted)
    missing = [s for s in needs.scopes if s not in granted]
    for kind in _kinds(needs, body, kind_of):
        accepted = needs.by_kind.get(kind, ())
        if accepted and not granted.intersection(accepted):
            missing.append(accepted[0])
    if missing:
        return Refusal("missing_scope", ",".join(dict.fromkeys(missing)))
    channel = str(body.get("channel") or "")
    if (needs.outside_public and channel and kind_of(channel) == PUBLIC and not is_member(channel)
            and not granted.intersection(needs.outside_public)):
        return Refusal("not_in_channel")
    return None


def _kinds(needs: Needs, body: dict, kind_of: Callable[[str], str | None]) -> list[str]:
    if not needs.by_kind:
        return []
    if needs.kind_from == "is_private":
        return [PRIVATE if str(body.get("is_private", "false")).lower() in ("true", "1") else PUBLIC]
    if needs.kind_from == "types":
        listed = [t.strip() for t in str(body.get("types") or PUBLIC).split(",") if t.strip()]
        return [t for t in listed if t in KINDS]
    kind = kind_of(str(body.get("channel") or ""))
    return [kind] if kind else []
