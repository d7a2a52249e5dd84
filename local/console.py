"""Terminal console for the local workspace, in the spirit of errbot's text backend.

You type as a workspace user; slash commands, button presses and mentions go to the bot
as signed HTTP requests, exactly as Slack would send them; everything the bot posts in
any channel is printed as text with its buttons numbered.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import re
import shlex
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterator, TextIO

from core.logs import RedactingFormatter
from local.render import Control, render_file, render_message, render_view
from local.workspace import LocalWorkspace

# Libraries that log at INFO about their own routine (migrations, HTTP connections, the WSGI
# server, the scheduler's job runs): in the console those lines only push the chat away.
CHATTY_LOGGERS = ("alembic", "botocore", "boto3", "s3transfer", "urllib3", "waitress", "apscheduler",
                  "firebreak.clock")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

HELP = """\
Type as the current user in the current channel:
  /incident ...          a slash command (also /contain, /evidence, /remediate, /investigate ...)
  @firebreak ...         mention the bot
  any other text         a message in the channel
Console commands:
  :as NAME               act as another user            (:users lists them)
  :in CHANNEL            switch channel                 (:channels lists them)
  :press N [OPTION]      press button N, or choose OPTION in select N by its label or its
                         number (:press 4 1 d · this finding, :press 4 2); a bare N works too
  :set N TEXT            fill field N of the open form (a list: :press N OPTION works too)
  :submit / :cancel      send the open form, or drop it
  :open N                show file N the bot uploaded (the postmortem document)
  :pin [K] / :unpin [K]  react with the pin reaction to the K-th latest message (default 1)
  :ingest PATH           run findings (GuardDuty, Security Hub, CloudTrail) through intake: a file,
                         a directory (its *.json files in name order) or a glob
  :clock [+30m]          the bot's time; +30m, +2h, +1d moves it forward and runs the reminders
                         and SLA escalations that fell due (kept across restarts, beside var/'s
                         workspace)
  :history [N]           the last N messages of the channel (default 10)
  :sandbox               what the AWS sandbox holds (when the workspace started one)
  :help                  this text
  :quit                  stop (Ctrl-D works too)"""


def quiet_libraries(level: int = logging.WARNING) -> None:
    """Console mode: routine INFO lines of libraries (and the clock's own) would fill the
    terminal between the chat's messages; only warnings and errors get through."""
    for name in CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level:
            logger.setLevel(level)


def parse_duration(text: str) -> timedelta | None:
    """"+30m", "2h", "+1d12h", "+90s" -> timedelta; None when it is not one."""
    text = text.strip().removeprefix("+").replace(" ", "")
    if not text or _DURATION.sub("", text):
        return None
    delta = timedelta(0)
    for amount, unit in _DURATION.findall(text):
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    return delta


def _describe(delta: timedelta) -> str:
    seconds, parts = int(delta.total_seconds()), []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0m"


class _ConsoleLogHandler(logging.Handler):
    def __init__(self, console: "Console"):
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.say(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never take the console down
            self.handleError(record)


class Console:
    def __init__(self, workspace: LocalWorkspace, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                 interactive: bool | None = None):
        self.ws = workspace
        self.fake = workspace.fake
        self.stdin = stdin
        self.stdout = stdout
        self.user = workspace.settings.config.local.users[0]
        self.channel = workspace.settings.config.local.channels[0]
        self.controls: dict[int, tuple[Control, str, dict]] = {}
        self.form: dict | None = None  # the open modal: view, its numbered inputs, values so far
        self._next_number = 1
        self._print_lock = threading.RLock()
        # With a person at a terminal a prompt is shown; output that arrives while it waits
        # (the bot works after its ack) is printed above it and the prompt drawn again.
        self.interactive = stdin.isatty() if interactive is None else interactive
        self._prompt_shown = False
        self.fake.listeners.append(self._on_slack)

    # ------------------------------------------------------------------ output
    def say(self, text: str) -> None:
        self._emit(text + "\n")

    def _emit(self, text: str) -> None:
        with self._print_lock:
            if self._prompt_shown:
                # Wipe the prompt line, print, then draw the prompt and what was typed so far.
                self.stdout.write("\r\x1b[K" + text + self.prompt() + self._typed())
            else:
                self.stdout.write(text)
            self.stdout.flush()

    def _typed(self) -> str:
        if self.stdin is not sys.stdin:
            return ""
        try:
            import readline
        except ImportError:  # e.g. Windows without pyreadline
            return ""
        return readline.get_line_buffer()

    @contextlib.contextmanager
    def logs_above_prompt(self) -> Iterator[None]:
        """While the console runs, log lines are printed like the chat: above the prompt."""
        root = logging.getLogger()
        handler = _ConsoleLogHandler(self)
        formatter = next((h.formatter for h in root.handlers if h.formatter), None)
        handler.setFormatter(formatter or RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        saved, root.handlers[:] = root.handlers[:], [handler]
        try:
            yield
        finally:
            root.handlers[:] = saved

    def _names(self) -> tuple[Callable[[str], str], Callable[[str], str]]:
        return self.fake.user_name, lambda cid: self.fake.channels[cid].name if cid in self.fake.channels else cid

    def _show(self, message: dict, channel_id: str, *, ephemeral: bool = False, for_user: str | None = None) -> None:
        if ephemeral and for_user and for_user != self.ws.user(self.user):
            return  # someone else's ephemeral message: Slack would not show it to you
        user_name, channel_label = self._names()
        with self._print_lock:
            rendered = render_message(message, channel_name=channel_label(channel_id), user_name=user_name,
                                      channel_label=channel_label, start_number=self._next_number,
                                      ephemeral=ephemeral)
            for control in rendered.controls:
                self.controls[control.number] = (control, channel_id, message)
            self._next_number += len(rendered.controls)
            self._emit("\n" + rendered.text + "\n")

    def _on_slack(self, kind: str, event: dict) -> None:
        if kind in ("message", "update"):
            self._show(event["message"], event["channel"])
        elif kind == "ephemeral":
            self._show(event["message"], event["channel"], ephemeral=True, for_user=event.get("user"))
        elif kind == "view":
            user_name, channel_label = self._names()
            with self._print_lock:
                rendered = render_view(event["view"], user_name=user_name, channel_label=channel_label,
                                       start_number=self._next_number)
                self._next_number += len(rendered.controls)
                inputs = {c.number: c for c in rendered.controls if c.kind.startswith("input:")}
                self.form = {"view": event["view"], "inputs": inputs,
                             "values": {c.number: c.value for c in inputs.values() if c.value}}
            self.say("\n" + rendered.text + "\n  (fill with :set N TEXT, choose in a list with :press N OPTION, "
                     "then :submit; :cancel drops it)")

    # ------------------------------------------------------------------ input
    def prompt(self) -> str:
        return f"{self.user}@#{self.channel}> "

    def run(self) -> None:
        with self.logs_above_prompt() if self.interactive else contextlib.nullcontext():
            clock = " The clock runs here too (:clock +30m jumps ahead)." if self.ws.runs_clock else ""
            self.say(f"Local Firebreak workspace. Bot at {self.ws.url}. You are {self.user} in #{self.channel}."
                     f"{clock}\nType :help for console commands, /incident help for the bot's.")
            for notice in self.ws.notices:  # e.g. where AWS calls go (the sandbox)
                self.say(notice)
            while True:
                line = self._read()
                if line is None or not self.handle(line.strip()):
                    break
            self.say("Bye.")

    def _read(self) -> str | None:
        """One line, or None at the end of input."""
        if not self.interactive:
            return self.stdin.readline() or None
        with self._print_lock:
            self._prompt_shown = True
            if self.stdin is not sys.stdin:  # input() draws the prompt itself
                self.stdout.write(self.prompt())
                self.stdout.flush()
        try:
            if self.stdin is sys.stdin:
                return input(self.prompt())
            return self.stdin.readline() or None
        except EOFError:  # Ctrl-D: end the prompt's line before saying goodbye
            self.stdout.write("\n")
            return None
        finally:
            with self._print_lock:
                self._prompt_shown = False

    def handle(self, line: str) -> bool:
        """Act on one line; False means stop."""
        if not line:
            return True
        if line.isdigit():
            line = ":press " + line
        if line.startswith(":"):
            return self._console_command(line)
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            self._slash(command, text)
        else:
            self._message(line)
        return True

    def _console_command(self, line: str) -> bool:
        raw = line[1:].split(None, 2)  # option labels and form text are taken as typed, quotes and all
        if len(raw) >= 2 and raw[0] in ("press", "set") and raw[1].isdigit():
            text = _unquote(raw[2]) if len(raw) > 2 else None
            if raw[0] == "press":
                self._press(int(raw[1]), text)
            elif text:
                self._set(int(raw[1]), text)
            else:
                self.say("! :set N TEXT fills field N; :help lists the console commands")
            return True
        try:
            words = shlex.split(line[1:])
        except ValueError as exc:
            self.say(f"! {exc}")
            return True
        if not words:
            return True
        name, args = words[0], words[1:]
        if name in ("quit", "exit", "q"):
            return False
        if name == "help":
            self.say(HELP)
        elif name == "as" and args:
            if args[0] not in self.ws.users:
                self.say(f"! no user {args[0]!r}; users: {', '.join(self.ws.users)}")
            else:
                self.user = args[0]
                self.say(f"You are now {self.user}.")
                here = self.fake.channel_id(self.channel)
                if here is not None and not self._may_enter(self.fake.channels[here]):
                    self.channel = self.ws.settings.config.local.channels[0]
                    self.say(f"{self.user} is not a member of that private channel: you are now in #{self.channel}.")
        elif name == "in" and args:
            target = args[0].lstrip("#")
            found = self.fake.channel_id(target)
            if found is None:
                self.say(f"! no channel #{target}; :channels lists them")
            elif not self._may_enter(self.fake.channels[found]):
                self.say(f"! #{self.fake.channels[found].name} is a private channel and {self.user} is not a member: "
                         "as in Slack, you cannot go in. Ask a member to invite you, or `:as` a member.")
            else:
                self.channel = self.fake.channels[self.fake.channel_id(target)].name
                self.say(f"You are now in #{self.channel}.")
        elif name == "users":
            self.say("Users: " + ", ".join(self.ws.users))
        elif name == "channels":
            self.say("Channels: " + ", ".join("#" + c.name for c in self.fake.channels.values()
                                              if not c.archived and self._may_enter(c)))
        elif name == "submit":
            self._submit()
        elif name == "cancel":
            self.form = None
            self.say("Form dropped.")
        elif name == "ingest" and args:
            for path in args:
                self._ingest(path)
        elif name in ("pin", "unpin"):
            self._pin(int(args[0]) if args and args[0].isdigit() else 1, add=name == "pin")
        elif name == "open" and len(args) == 1 and args[0].isdigit():
            self._open(int(args[0]))
        elif name == "clock" and len(args) <= 1:
            self._clock(args[0] if args else None)
        elif name == "sandbox":
            self.say("\n".join(self.ws.sandbox_inventory) or "No AWS sandbox runs in this workspace.")
        elif name == "history":
            count = int(args[0]) if args and args[0].isdigit() else 10
            for message in self.fake.messages(self.channel)[-count:]:
                self._show(message, self.ws.channel(self.channel))
        else:
            self.say(f"! unknown console command {line!r}; :help lists them")
        return True

    def _slash(self, command: str, text: str) -> None:
        if command not in ("/incident", "/contain", "/evidence", "/remediate", "/investigate"):
            self.say(f"! {command} is not a Firebreak command; try /incident help")
            return
        reply = self.ws.sender.command(command, self._as_slack_sends(text), user=self.ws.user(self.user),
                                       channel=self.ws.channel(self.channel), channel_name=self.channel)
        self._show_ack(reply)

    def _as_slack_sends(self, text: str) -> str:
        """Slash-command text the way Slack delivers it with should_escape: & < > as entities,
        @user and #channel as <@U…|name> and <#C…|name> tokens."""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        def user(match):
            uid = self.ws.users.get(match.group(1))
            return f"<@{uid}|{match.group(1)}>" if uid else match.group(0)

        def channel(match):
            cid = self.fake.channel_id(match.group(1))
            return f"<#{cid}|{match.group(1)}>" if cid else match.group(0)

        text = re.sub(r"(?<![\w<])@([a-z0-9._-]+)", user, text)
        return re.sub(r"(?<![\w<])#([a-z0-9_-]+)", channel, text)

    def _show_ack(self, reply) -> None:
        if reply.status != 200:
            self.say(f"! the bot answered HTTP {reply.status}: {reply.body[:200]}")
            return
        if reply.body.strip().startswith("{"):
            body = json.loads(reply.body)
            if body.get("text") or body.get("blocks"):
                self._show(body, self.ws.channel(self.channel), ephemeral=body.get("response_type") != "in_channel")

    def _message(self, text: str) -> None:
        channel_id = self.ws.channel(self.channel)
        user_id = self.ws.user(self.user)
        slack_text = text.replace("@firebreak", f"<@{self.fake.BOT_USER}>")
        ts = self.fake.add_user_message(channel_id, user_id, slack_text)["ts"]
        if "@firebreak" in text:
            self.ws.sender.event({"type": "app_mention", "user": user_id, "text": slack_text, "ts": ts,
                                  "channel": channel_id, "event_ts": ts})

    def _set(self, number: int, text: str) -> None:
        field = (self.form or {}).get("inputs", {}).get(number)
        if field is None:
            self.say(f"! no form field {number}")
            return
        if field.options:
            chosen = _choose(field.options, text)
            if chosen is None:
                self.say(_option_list(field.options, text))
                return
            text = chosen[1]
        self.form["values"][number] = text
        self.say(f"{field.label or field.action_id} = {text}")

    def _submit(self) -> None:
        if self.form is None:
            self.say("! no form is open")
            return
        view, values = self.form["view"], {}
        for number, field in self.form["inputs"].items():
            value = self.form["values"].get(number)
            kind = field.kind.removeprefix("input:")
            state = {"type": kind, "selected_option": {"value": value} if value else None} if field.options \
                else {"type": kind, "value": value}
            values.setdefault(field.block_id, {})[field.action_id] = state
        reply = self.ws.sender.view_submission(user=self.ws.user(self.user), callback_id=view.get("callback_id", ""),
                                               values=values, private_metadata=view.get("private_metadata", ""),
                                               view_id=view.get("id", "V0LOCAL"))
        answer = reply.json() if reply.status == 200 and reply.body.strip().startswith("{") else {}
        if reply.status != 200:
            self.say(f"! the bot answered HTTP {reply.status}")
        elif answer.get("response_action") == "errors":
            for block, problem in answer.get("errors", {}).items():
                self.say(f"! {block}: {problem}")
        else:
            self.form = None
            self.say("Submitted.")

    def _may_enter(self, channel) -> bool:
        """As in Slack: a private channel (a private incident's, a DM) only for its members."""
        return not channel.is_private or self.ws.user(self.user) in channel.members

    def _ingest(self, path: str) -> None:
        """Findings arrive as they would from SQS or `bot.py ingest`; triage messages follow.
        A directory means its *.json files, a glob the files it matches, in name order."""
        from core.errors import FirebreakError
        from core.findings.intake import ingest_report

        if Path(path).is_dir():
            paths = sorted(str(p) for p in Path(path).glob("*.json") if p.is_file())
            if not paths:
                self.say(f"! {path}: no *.json files in that directory")
                return
        elif glob.has_magic(path):
            paths = sorted(p for p in glob.glob(path) if Path(p).is_file())
            if not paths:
                self.say(f"! {path}: no file matches")
                return
        else:
            paths = [path]
        for one in paths:
            try:
                text = Path(one).read_text(encoding="utf-8")
            except OSError as exc:
                self.say(f"! {one}: cannot read: {exc.strerror or exc}")
                continue
            try:
                lines, _ = ingest_report(self.ws.services, one, text)
            except FirebreakError as exc:
                self.say(f"! {exc.message}")
                continue
            for line in lines:
                self.say(line)

    def _open(self, number: int) -> None:
        found = self.controls.get(number)
        if found is None or found[0].kind != "file":
            self.say(f"! no file {number} on screen" + ("" if found is None else f" (control {number} is a "
                                                           f"{found[0].kind}: :press {number})"))
            return
        control = found[0]
        record = self.fake.file(control.value or "")
        if record is None:
            self.say(f"! {control.label}: this workspace no longer has that file")
            return
        self.say(render_file(record.get("name") or control.label, record.get("content"), title=record.get("title")))

    def _clock(self, step: str | None) -> None:
        if step is None:
            self._say_time()
            return
        delta = parse_duration(step)
        if delta is None or not step.strip().startswith("+") or not delta:
            self.say("! :clock +30m moves the bot's time forward (also +90s, +2h, +1d, +1h30m); :clock shows it")
            return
        try:
            self.ws.advance_clock(delta, sweep=False)
        except TypeError as exc:
            self.say(f"! {exc}")
            return
        self._say_time()
        if not self.ws.runs_clock:
            self.say("  (the scheduler does not run in this workspace: nothing reminds or escalates)")
            return
        results = self.ws.sweep_now()  # what fell due is posted now, not at the scheduler's next tick
        self.ws.settle()
        done = [f"{name} {result}" for name, result in results.items() if result]
        self.say("Sweeps: " + (", ".join(done) if done else "nothing was due"))

    def _say_time(self) -> None:
        now = self.ws.now()
        ahead = getattr(self.ws.clock, "offset", None)
        suffix = f" ({_describe(ahead)} ahead of this computer's clock)" if ahead else ""
        self.say(f"Bot time: {now:%Y-%m-%d %H:%M:%S} UTC{suffix}")

    def _pin(self, nth: int, *, add: bool) -> None:
        channel_id = self.ws.channel(self.channel)
        messages = self.fake.messages(self.channel)
        if nth > len(messages):
            self.say(f"! #{self.channel} has only {len(messages)} message(s)")
            return
        ts = messages[-nth]["ts"]
        user_id = self.ws.user(self.user)
        reaction = self.ws.settings.config.incidents.timeline_reaction
        pinned_by = {u for r in messages[-nth].get("reactions") or [] if r.get("name") == reaction
                     for u in r.get("users", ())}
        if add and user_id in pinned_by:
            self.say(f"! you pinned that message already (:unpin{'' if nth == 1 else f' {nth}'} removes it)")
            return
        if not add and user_id not in pinned_by:
            others = sorted(self.fake.user_name(u) for u in pinned_by)
            self.say("! that message was never pinned: nothing to unpin" if not others else
                     f"! you never pinned that message; only {', '.join(others)} did (:as NAME to act as them)")
            return
        self.fake.react(channel_id, ts, reaction, user_id, add=add)
        self.ws.sender.event({"type": "reaction_added" if add else "reaction_removed", "user": user_id,
                              "reaction": reaction, "item": {"type": "message", "channel": channel_id, "ts": ts}})
        self.say(f"{'Pinned' if add else 'Unpinned'} :{reaction}: on: {messages[-nth].get('text', '')[:60]}")

    def _press(self, number: int, option: str | None) -> None:
        field = (self.form or {}).get("inputs", {}).get(number)
        if field is not None:  # a select of the open form: choosing is setting it
            if field.options:
                if option:
                    self._set(number, option)
                else:
                    self.say(_option_list(field.options))
            else:
                self.say(f"! field {number} is a text field: :set {number} TEXT fills it")
            return
        found = self.controls.get(number)
        if found is None:
            self.say(f"! no control {number} on screen")
            return
        control, channel_id, message = found
        user_id = self.ws.user(self.user)
        if control.kind == "button":
            reply = self.ws.sender.block_action(user=user_id, channel=channel_id, action_id=control.action_id,
                                                value=control.value or "", block_id=control.block_id or "",
                                                message=message)
        elif control.kind == "file":
            self._open(number)
            return
        elif control.options:
            chosen = _choose(control.options, option) if option else None
            if chosen is None:
                self.say(_option_list(control.options, option))
                return
            reply = self.ws.sender.block_action(
                user=user_id, channel=channel_id, action_id=control.action_id, block_id=control.block_id or "",
                message=message, selected={"text": {"type": "plain_text", "text": chosen[0]}, "value": chosen[1]})
        else:
            self.say(f"! control {number} ({control.kind}) cannot be used from the console yet")
            return
        self._show_ack(reply)


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _choose(options: tuple[tuple[str, str], ...], typed: str) -> tuple[str, str] | None:
    """The option a person means: its whole label (any case, any spacing), else its number
    in the list (1 = the first), else its value."""
    wanted = _fold(typed)
    for label, value in options:
        if _fold(label) == wanted:
            return label, value
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    return next(((label, value) for label, value in options if _fold(value) == wanted), None)


def _option_list(options: tuple[tuple[str, str], ...], typed: str | None = None) -> str:
    head = f"! no option {typed!r}; choose one of these" if typed else "! choose one of these"
    return head + " (by its label or its number):\n" + "\n".join(
        f"  {number}. {label}" for number, (label, _) in enumerate(options, 1))
