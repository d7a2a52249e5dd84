"""Which Slack Web API methods the code calls, found statically, so a test can hold them
against local/slack_scopes.py (and the manifest) without running every code path.

The code reaches Slack through slack_sdk's WebClient (`client.chat_postMessage(...)`,
`self.client.files_upload_v2(...)`, also `api_call("x.y")` or `getattr(client, "x_y")`)
and through Bolt's helpers (`say(...)`, and the App itself, which asks auth.test who the bot
is). What a WebClient attribute calls is read from slack_sdk's own source: each method ends
in `self.api_call("chat.postMessage", ...)`, and helpers such as files_upload_v2 call other
methods (files.getUploadURLExternal, files.completeUploadExternal), followed transitively.
Bolt's helpers are read the same way from slack_bolt's source.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import slack_bolt
import slack_sdk.web.client

# Bolt names the code may call that talk to the Web API on its behalf, and the Bolt module
# that implements each: `say` is slack_bolt.context.say.Say; building an App installs the
# single-team authorization middleware, which calls auth.test on the first request.
BOLT_HELPERS = {
    "say": "context/say/say.py",
    "respond": "context/respond/respond.py",  # response_url, no Web API method
    "App": "middleware/authorization/single_team_authorization.py",
}
SKIPPED_DIRS = {"tests", ".venv", "venv", "node_modules", "__pycache__", "var"}


@lru_cache(maxsize=1)
def web_client_methods() -> dict[str, frozenset[str]]:
    """WebClient attribute → the Web API methods it calls (files_upload_v2 → two of them)."""
    tree = ast.parse(Path(slack_sdk.web.client.__file__).read_text())
    [web_client] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "WebClient"]
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for fn in web_client.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        direct[fn.name], calls[fn.name] = set(), set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self":
                if node.func.attr == "api_call":
                    name = _literal_method(node)
                    if name:
                        direct[fn.name].add(name)
                else:
                    calls[fn.name].add(node.func.attr)

    def reach(name: str, seen: frozenset = frozenset()) -> set[str]:
        found = set(direct.get(name, ()))
        for callee in calls.get(name, ()):
            if callee in direct and callee not in seen:
                found |= reach(callee, seen | {name})
        return found

    return {name: frozenset(methods) for name in direct if (methods := reach(name))}


def _literal_method(call: ast.Call) -> str | None:
    """The Web API method named by `api_call("x.y", ...)` or `api_call(api_method="x.y")`."""
    arg = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "api_method"), None)
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _forwarded(call: ast.Call) -> bool:
    """`super().api_call(...)`: a client that wraps every call (the shared Slack budget's)
    passes on the method its caller named; the caller's own call is what is counted."""
    owner = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super"


@lru_cache(maxsize=None)
def bolt_helper_methods(helper: str) -> frozenset[str]:
    """The Web API methods a Bolt helper calls, read from its module in slack_bolt."""
    source = Path(slack_bolt.__file__).parent / BOLT_HELPERS[helper]
    return frozenset(m for m in methods_in_source(source.read_text()) if not m.startswith("?"))


def methods_in_source(text: str, where: str = "<source>") -> dict[str, list[str]]:
    """Web API method → the places (`file:line`) in `text` that call it. A call whose
    method cannot be read statically (`api_call(name)`) is listed under "?api_call"."""
    client = web_client_methods()
    tree = ast.parse(text)
    bolt_names = _bolt_imports(tree)
    found: dict[str, list[str]] = defaultdict(list)
    for node in ast.walk(tree):
        at = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and node.attr in client:
            for method in client[node.attr]:
                found[method].append(at)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name == "api_call" and not _forwarded(node):
                found[_literal_method(node) or "?api_call"].append(at)
            elif name == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value in client:
                for method in client[node.args[1].value]:
                    found[method].append(at)
            elif isinstance(node.func, ast.Name) and name in BOLT_HELPERS and (name != "App" or name in bolt_names):
                for method in bolt_helper_methods(name):
                    found[method].append(at)
    return dict(found)


def _bolt_imports(tree: ast.Module) -> set[str]:
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slack_bolt")
            for alias in node.names}


def methods_called(root: Path) -> dict[str, list[str]]:
    """Every Web API method the code under `root` calls (tests and virtualenvs left out),
    with where it is called."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        for method, places in methods_in_source(path.read_text(), str(relative)).items():
            found[method].extend(places)
    return dict(found)
