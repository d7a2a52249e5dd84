"""Render Slack messages and modals as terminal text for local mode.

Local mode has no Slack client, so the console has to show what the bot
posted (Block Kit included) and let the user press a control by typing its
number. Everything here is defensive: bot payloads carry attacker-influenced
strings (finding titles, resource tags), and a rendering bug must never take
the console down or turn escaped text back into markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Control", "Rendered", "mrkdwn_to_text", "render_file", "render_message", "render_view"]

NameFn = Callable[[str], str]


def _identity(x: str) -> str:
    return x


@dataclass(frozen=True)
class Control:
    """One numbered interactive element, enough for the console to act on it."""

    number: int
    kind: str
    action_id: str
    block_id: str | None
    label: str
    value: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    style: str | None = None
    confirm: bool = False


@dataclass
class Rendered:
    text: str
    controls: list[Control] = field(default_factory=list)


# Control characters and bidi overrides could rewrite the operator's terminal
# (clear screen, fake lines, reversed text), so they are shown as escapes.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TOKEN = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input",
                "url_text_input", "rich_text_input", "file_input"}
_INITIAL_KEYS = ("initial_value", "initial_date", "initial_time", "initial_date_time")
_DIVIDER = "─" * 40


def _clean(s: Any) -> str:
    s = s if isinstance(s, str) else ("" if s is None else str(s))
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", s)


def _unescape(s: str) -> str:
    # &amp; last, so "&amp;lt;" becomes the literal "&lt;" (unescaped exactly once).
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(body: str, user_name: NameFn, channel_label: NameFn) -> str:
    head, _, label = body.partition("|")
    label = _unescape(label)
    if head.startswith("@"):
        uid = head[1:]
        name = user_name(uid)
        return "@" + (label if name == uid and label else name)
    if head.startswith("#"):
        return "#" + (label or channel_label(head[1:]))
    if head.startswith("!"):
        cmd = head[1:]
        if cmd in ("here", "channel", "everyone"):
            return "@" + cmd
        if cmd.startswith("subteam^"):
            label = label or cmd.split("^", 1)[1]
            return label if label.startswith("@") else "@" + label
        return label or cmd  # <!date^...|fallback> and friends
    url = _unescape(head)
    return f"{label} ({url})" if label and label != url else url


def mrkdwn_to_text(s: str, user_name: NameFn = _identity,
                   channel_label: NameFn = _identity, *, color: bool = False) -> str:
    """Slack mrkdwn -> terminal text; only real <...> tokens become mentions/links.

    The bot escapes untrusted text as &lt;...&gt;, which contains no "<", so it
    is never parsed as a token and is unescaped once into literal text.
    """
    if not isinstance(s, str):
        return ""
    out, pos = [], 0
    for m in _TOKEN.finditer(s):
        out.append(_unescape(s[pos:m.start()]))
        out.append(_token(m.group(1), user_name, channel_label))
        pos = m.end()
    out.append(_unescape(s[pos:]))
    text = _clean("".join(out))
    if color:
        text = _BOLD.sub("\x1b[1m\\1\x1b[0m", text)
    return text


class _Renderer:
    """Holds numbering state so controls are numbered in display order."""

    def __init__(self, user_name: NameFn, channel_label: NameFn, start: int, color: bool):
        self.user_name, self.channel_label, self.color = user_name, channel_label, color
        self.next = start
        self.controls: list[Control] = []

    # -- text objects ---------------------------------------------------------
    def md(self, s: Any) -> str:
        return mrkdwn_to_text(s, self.user_name, self.channel_label, color=self.color)

    def text(self, obj: Any) -> str:
        if isinstance(obj, str):
            return self.md(obj)
        if isinstance(obj, dict):
            t = obj.get("text")
            if not isinstance(t, str):
                return ""
            return self.md(t) if obj.get("type") == "mrkdwn" else _clean(t)
        return ""

    def lines(self, obj: Any) -> list[str]:
        t = self.text(obj).rstrip("\n")
        return t.split("\n") if t else []

    # -- controls -------------------------------------------------------------
    def _options(self, el: dict) -> list[dict]:
        opts = [o for o in el.get("options") or [] if isinstance(o, dict)]
        for g in el.get("option_groups") or []:
            if isinstance(g, dict):
                opts += [o for o in g.get("options") or [] if isinstance(o, dict)]
        return opts

    def _initial(self, el: dict) -> tuple[str, str | None]:
        """(shown, raw value) of whatever the element is preset to."""
        for key in ("initial_option", "initial_options"):
            sel = el.get(key)
            sel = [sel] if isinstance(sel, dict) else [o for o in sel or [] if isinstance(o, dict)]
            if sel:
                return (", ".join(self.text(o.get("text")) for o in sel),
                        ",".join(str(o.get("value", "")) for o in sel))
        for keys, fn, sigil in ((("initial_user", "initial_users"), self.user_name, "@"),
                                (("initial_conversation", "initial_conversations",
                                  "initial_channel", "initial_channels"), self.channel_label, "#")):
            for key in keys:
                ids = el.get(key)
                ids = [ids] if isinstance(ids, str) else [i for i in ids or [] if isinstance(i, str)]
                if ids:
                    return ", ".join(sigil + _clean(fn(i)) for i in ids), ",".join(ids)
        for key in _INITIAL_KEYS:
            if el.get(key) not in (None, ""):
                v = str(el[key])
                return (f'"{_clean(v)}"' if key == "initial_value" else _clean(v)), v
        return "", None

    def control(self, el: Any, block_id: Any, *, prefix: str = "", label: str | None = None) -> str:
        if not isinstance(el, dict):
            return "[unsupported element]"
        kind = str(el.get("type") or "unknown")
        ph = self.text(el.get("placeholder"))
        opts = [(self.text(o.get("text")), str(o.get("value", ""))) for o in self._options(el)]
        shown, value = self._initial(el)
        style = el.get("style") if el.get("style") in ("primary", "danger") else None
        if kind == "button":
            own = self.text(el.get("text")) or "button"
            head = own + {"primary": "*", "danger": "!"}.get(style or "", "")
            if el.get("url"):
                head += f" ↗ {_clean(el['url'])}"
            value = None if el.get("value") is None else str(el.get("value"))
        elif kind == "overflow":
            own, head = "⋯", "⋯"
        elif kind.endswith("select"):
            own = ph or kind
            head = f"{own} ▾"
        elif kind in _TEXT_INPUTS:
            own = ph or kind
            head = f"✎ {kind}" + (f" ({ph})" if ph and not shown else "")
        else:
            own = head = ph or kind
        n = self.next
        self.next += 1
        self.controls.append(Control(
            number=n, kind=prefix + kind, action_id=_clean(el.get("action_id") or ""),
            block_id=block_id if isinstance(block_id, str) else None,
            label=label or own, value=value, options=tuple(opts), style=style,
            confirm=isinstance(el.get("confirm"), dict)))
        body = head + (f" = {shown}" if shown else "")
        if opts:
            body += ": " + "|".join(lab for lab, _ in opts)
        return f"[{n} {body}]"

    # -- blocks ---------------------------------------------------------------
    def blocks(self, blocks: Any) -> list[str]:
        out: list[str] = []
        for b in blocks if isinstance(blocks, list) else []:
            mark = (self.next, len(self.controls))
            try:
                out += self.block(b)
            except Exception:  # a bad block must not kill the console
                self.next, self.controls[mark[1]:] = mark[0], []
                kind = b.get("type") if isinstance(b, dict) else type(b).__name__
                out.append(f"[malformed block: {kind}]")
        return out

    def block(self, b: Any) -> list[str]:
        if not isinstance(b, dict):
            return [f"[unsupported block: {type(b).__name__}]"]
        t, bid = b.get("type"), b.get("block_id")
        if t == "section":
            out = self.lines(b.get("text"))
            out += self.fields(b.get("fields"))
            acc = b.get("accessory")
            if isinstance(acc, dict):
                extra = self.image(acc) if acc.get("type") == "image" else self.control(acc, bid)
                if out:
                    out[-1] += " " + extra
                else:
                    out = [extra]
            return out
        if t == "header":
            h = self.text(b.get("text")).replace("\n", " ")
            return [h, "═" * len(h)] if h else []
        if t == "divider":
            return [_DIVIDER]
        if t == "context":
            parts = [self.image(e) if isinstance(e, dict) and e.get("type") == "image"
                     else self.text(e) for e in b.get("elements") or []]
            return [" · ".join(p.replace("\n", " ") for p in parts if p)]
        if t == "actions":
            return [" ".join(self.control(e, bid) for e in b.get("elements") or [])]
        if t == "image":
            title = self.text(b.get("title"))
            return [self.image(b) + (f" {title}" if title else "")]
        if t == "rich_text":
            return self.rich(b.get("elements"))
        if t == "input":
            label = self.text(b.get("label")).replace("\n", " ") or "(no label)"
            head = label + (" (optional)" if b.get("optional") else "")
            el = b.get("element")
            out = [f"{head}: " + (self.control(el, bid, prefix="input:", label=label)
                                  if isinstance(el, dict) else "[no input element]")]
            hint = self.text(b.get("hint"))
            return out + ([f"  ↳ {hint}"] if hint else [])
        if t == "file":
            return [f"[file: {_clean(b.get('external_id') or '?')}]"]
        return [f"[unsupported block: {_clean(t or '?')}]"]

    def image(self, el: dict) -> str:
        return f"[image: {_clean(el.get('alt_text') or '')}]"

    def fields(self, fields: Any) -> list[str]:
        """Two columns, like Slack; each field flattened onto one line."""
        cells = [self.text(f).replace("\n", " ") for f in fields or []]
        if not cells:
            return []
        width = max(len(c) for c in cells[0::2])
        return [(cells[i].ljust(width) + "   " + cells[i + 1]) if i + 1 < len(cells) else cells[i]
                for i in range(0, len(cells), 2)]

    def rich(self, elements: Any) -> list[str]:
        out: list[str] = []
        for el in elements or []:
            t = el.get("type")
            body = self.inline(el.get("elements"))
            if t == "rich_text_section":
                out += body.rstrip("\n").split("\n")
            elif t == "rich_text_list":
                pad = "  " * int(el.get("indent") or 0)
                start = int(el.get("offset") or 0) + 1
                for i, item in enumerate(el.get("elements") or [], start):
                    bullet = f"{i}." if el.get("style") == "ordered" else "•"
                    out.append(f"{pad}{bullet} {self.inline(item.get('elements'))}")
            elif t == "rich_text_preformatted":
                out += ["```", *body.rstrip("\n").split("\n"), "```"]
            elif t == "rich_text_quote":
                out += ["> " + line for line in body.rstrip("\n").split("\n")]
            else:
                out.append(f"[unsupported rich text: {_clean(t)}]")
        return out

    def inline(self, elements: Any) -> str:
        parts = []
        for e in elements or []:
            t = e.get("type")
            if t == "text":
                s, st = str(e.get("text") or ""), e.get("style") or {}
                core = s.strip()  # keep markers tight: "*hi* " not "*hi *"
                for key, mark in (("code", "`"), ("strike", "~"), ("italic", "_"), ("bold", "*")):
                    core = mark + core + mark if st.get(key) and core else core
                parts.append(s[:len(s) - len(s.lstrip())] + core + s[len(s.rstrip()):] if core else s)
            elif t == "link":
                url, txt = str(e.get("url") or ""), e.get("text")
                parts.append(f"{txt} ({url})" if txt and txt != url else url)
            elif t == "user":
                parts.append("@" + self.user_name(str(e.get("user_id"))))
            elif t == "channel":
                parts.append("#" + self.channel_label(str(e.get("channel_id"))))
            elif t == "usergroup":
                parts.append("@" + str(e.get("usergroup_id")))
            elif t == "broadcast":
                parts.append("@" + str(e.get("range")))
            elif t == "emoji":
                parts.append(f":{e.get('name')}:")
            elif t == "date":
                parts.append(str(e.get("fallback") or e.get("timestamp")))
            elif t == "color":
                parts.append(str(e.get("value")))
        return _clean("".join(parts))

    def file(self, f: Any) -> str:
        """A shared file: numbered, so the console can open it (`:open N`)."""
        if not isinstance(f, dict):
            return "[unsupported file]"
        name = _clean(f.get("name") or f.get("title") or "file")
        title = _clean(f.get("title") or "")
        n = self.next
        self.next += 1
        self.controls.append(Control(number=n, kind="file", action_id="", block_id=None, label=name,
                                     value=_clean(f.get("id") or "")))
        return f"[{n} file: {name}]" + (f" {title}" if title and title != name else "") + f"  (:open {n})"

    def attachment(self, a: Any) -> list[str]:
        """Legacy attachments: the colored side bar becomes a "│ " gutter."""
        if not isinstance(a, dict):
            return []
        out = self.lines(a.get("pretext"))
        inner = self.lines(a.get("author_name"))
        title = self.text(a.get("title"))
        if title:
            link = a.get("title_link")
            inner.append(f"{title} ({_clean(link)})" if link else title)
        inner += self.lines(a.get("text"))
        for f in a.get("fields") or []:
            if isinstance(f, dict):
                inner.append(f"{self.text(f.get('title'))}: {self.text(f.get('value'))}")
        inner += self.blocks(a.get("blocks"))
        if a.get("image_url"):
            inner.append(f"[image: {_clean(a['image_url'])}]")
        inner += self.lines(a.get("footer"))
        if not inner:
            inner = self.lines(a.get("fallback"))
        return out + ["│ " + line for line in inner]


def _indent(head: str, body: list[str]) -> str:
    return "\n".join([head] + [f"  {line}" if line else "" for line in body])


def render_message(message: dict, *, channel_name: str | None = None,
                   user_name: NameFn = _identity, channel_label: NameFn = _identity,
                   start_number: int = 1, ephemeral: bool = False,
                   author: str | None = None, color: bool = False) -> Rendered:
    """Render a chat.postMessage/update/postEphemeral or response_url payload."""
    message = message if isinstance(message, dict) else {}
    r = _Renderer(user_name, channel_label, start_number, color)
    parts = []
    if channel_name:
        parts.append(_clean(channel_name if channel_name[0] in "#@" else "#" + channel_name))
    elif isinstance(message.get("channel"), str):
        parts.append("#" + _clean(channel_label(message["channel"])))
    parts.append(_clean(author or message.get("username") or "Firebreak"))
    if message.get("thread_ts"):
        parts.append("in thread")
    head = " · ".join(parts) + (" (only visible to you)" if ephemeral else "")

    body: list[str] = []
    if message.get("blocks"):  # top-level text is then only the notification fallback
        body += r.blocks(message["blocks"])
    else:
        body += r.lines(message.get("text"))
    for a in message.get("attachments") or []:
        body += r.attachment(a)
    for f in message.get("files") or []:
        body.append(r.file(f))
    return Rendered(_indent(head, body or ["(empty message)"]), r.controls)


def render_view(view: dict, *, user_name: NameFn = _identity,
                channel_label: NameFn = _identity, start_number: int = 1,
                color: bool = False) -> Rendered:
    """Render a views.open/push/update modal (or Home tab), inputs numbered."""
    view = view if isinstance(view, dict) else {}
    r = _Renderer(user_name, channel_label, start_number, color)
    kind = _clean(view.get("type") or "modal")
    title = r.text(view.get("title"))
    body = r.blocks(view.get("blocks"))
    footer = [f"{name}: {r.text(view.get(key))}" for key, name in
              (("submit", "Submit"), ("close", "Close")) if r.text(view.get(key))]
    if footer:
        body += [_DIVIDER, " · ".join(footer)]
    return Rendered(_indent(f"[{kind}] {title}".rstrip(), body or ["(empty view)"]), r.controls)


def render_file(name: str, content: bytes | str | None, *, title: str | None = None) -> str:
    """A file's content as terminal text (Markdown stays as written), control characters
    escaped like every other string from outside."""
    if content is None:
        body = ["(the upload never completed: no content)"]
    else:
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
        body = [_clean(line) for line in text.rstrip("\n").split("\n")] or ["(empty file)"]
    head = f"── {_clean(name)}" + (f" · {_clean(title)}" if title and title != name else "") + " ──"
    return "\n".join([head, *body, "─" * min(len(head), 60)])
