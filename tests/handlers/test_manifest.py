"""The Slack app manifest and the listeners the code registers must agree: a command in
the manifest with no listener fails silently in Slack, a listener with no manifest entry
never receives anything."""

import re

import yaml

import handlers
from handlers import ids
from tests.conftest import REPO


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

    app = RecordingApp()
    handlers.register(app, build_services(settings))
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
    needs = {"app_mention": "app_mentions:read", "reaction_added": "reactions:read",
             "reaction_removed": "reactions:read", "member_joined_channel": "channels:read"}
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert needs[event] in scopes, f"event {event} needs scope {needs[event]}"
    assert "commands" in scopes
