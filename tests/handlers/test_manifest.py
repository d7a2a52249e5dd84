"""The Slack app manifest and the listeners the code registers must agree: a command in
the manifest with no listener fails silently in Slack, a listener with no manifest entry
never receives anything."""

import re

import yaml

import handlers
from handlers import ids
from local.slack_scopes import PRIVATE, PUBLIC
from tests.conftest import REPO

# The scope each bot event needs (Slack's event reference: "Required scopes").
EVENT_SCOPES = {"app_mention": "app_mentions:read", "reaction_added": "reactions:read",
                "reaction_removed": "reactions:read", "member_joined_channel": "channels:read"}


class RecordingApp:
    """Stands in for a Bolt App and records what `handlers.register` attaches."""

    def __init__(self):
        self.commands, self.actions, self.views, self.events, self.middleware = set(), set(), set(), set(), []

    def _record(self, bucket, key):
        bucket.add(key)
        return lambda *fns, **kw: fns[0] if fns else None

    def command(self, name):
        return self._record(self.commands, name)

    def action(self, constraints):
        return self._record(self.actions, constraints if isinstance(constraints, str) else constraints["action_id"])

    def view(self, constraints):
        return self._record(self.views, constraints if isinstance(constraints, str) else constraints["callback_id"])

    def event(self, name):
        return self._record(self.events, name if isinstance(name, str) else name["type"])

    def use(self, fn):
        self.middleware.append(fn)

    def error(self, fn):
        self.error_handler = fn
        return fn


def _manifest():
    text = (REPO / "manifest.yml").read_text()
    return yaml.safe_load(text), text


def _comment_list(text, name):
    match = re.search(rf"^# {name}: \[(.*)\]$", text, re.M)
    assert match, f"manifest.yml lacks the '# {name}: [...]' line"
    return {item.strip() for item in match.group(1).split(",") if item.strip()}


def test_registered_listeners_match_manifest(settings):
    from composition import build_services

    from handlers.jobs.intake import Intake

    app = RecordingApp()
    services = build_services(settings)
    handlers.register(app, services, Intake(services.repos.jobs, services.telemetry))
    manifest, text = _manifest()

    assert app.commands == {c["command"] for c in manifest["features"]["slash_commands"]}
    assert app.events == set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert app.actions == _comment_list(text, "firebreak-action-ids") == set(ids.ACTIONS)
    assert app.views == _comment_list(text, "firebreak-callback-ids") == set(ids.VIEWS)
    assert app.middleware, "the once-per-request middleware must be installed"
    assert app.error_handler is not None


def test_manifest_urls_point_at_the_one_slack_endpoint():
    manifest, _ = _manifest()
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]]
    assert all(url.endswith("/slack/events") for url in urls)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_manifest_event_scopes_are_granted():
    manifest, _ = _manifest()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert EVENT_SCOPES[event] in scopes, f"event {event} needs scope {EVENT_SCOPES[event]}"
    assert "commands" in scopes


# The kinds of conversation the code uses each conversation-dependent method on, and why:
# the scope Slack asks for depends on it (local/slack_scopes.py). A new call of such a
# method must be added here, which decides which scope the manifest grants for it.
CONVERSATION_KINDS = {
    "conversations.create": ({PUBLIC, PRIVATE}, "incident channels, public or private"),
    "conversations.invite": ({PUBLIC, PRIVATE}, "people and groups invited to incident channels"),
    "conversations.setTopic": ({PUBLIC, PRIVATE}, "incident channels' topic"),
    "conversations.setPurpose": ({PUBLIC, PRIVATE}, "incident channels' purpose"),
    "conversations.archive": ({PUBLIC, PRIVATE}, "incidents.archive_on_close"),
    "conversations.history": ({PUBLIC, PRIVATE}, "the pinned message, in incident channels"),
    "conversations.members": ({PRIVATE}, "who may open a private incident (core/access.may_see); "
                                         "public ones are open to every responder"),
}
# Methods the code uses in public channels the bot may not have joined (the announcement
# and triage channels, named in config), which needs their `outside_public` scope.
OUTSIDE_PUBLIC = {"chat.postMessage"}


def test_manifest_scopes_are_exactly_what_the_code_needs():
    """Each scope the manifest grants is needed by a Web API method the code calls (Slack's
    method reference), an event it subscribes to, or its slash commands; nothing more."""
    from local.slack_scopes import METHOD_SCOPES
    from tests.support.slack_calls import methods_called

    manifest, text = _manifest()
    called = {m: METHOD_SCOPES[m] for m in methods_called(REPO)}
    assert set(CONVERSATION_KINDS) == {m for m, needs in called.items() if needs.by_kind}
    needed = {"commands"} if manifest["features"]["slash_commands"] else set()
    needed |= {EVENT_SCOPES[e] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    for method, needs in called.items():
        needed |= set(needs.scopes)
        needed |= {needs.by_kind[kind][0] for kind in CONVERSATION_KINDS.get(method, ((), ""))[0]}
        needed |= set(needs.outside_public) if method in OUTSIDE_PUBLIC else set()
    granted = manifest["oauth_config"]["scopes"]["bot"]
    assert set(granted) - needed == set(), "granted but not needed"
    assert needed - set(granted) == set(), "needed but not granted"
    explained = set(re.findall(r"^#   ([a-z_.]+:[a-z_.:]+|commands)\s+\S", text, re.M))
    assert explained == set(granted), "the comment block says why for each granted scope, and only those"
