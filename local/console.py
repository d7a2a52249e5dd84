"""Terminal console for the local workspace, in the spirit of errbot's text backend.

You type as a workspace user; slash commands, button presses and mentions go to the bot
as signed HTTP requests, exactly as Slack would send them; everything the bot posts in
any channel is printed as text with its buttons numbered.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import threading
from typing import Callable, TextIO

from local.render import Control, render_message, render_view
from local.workspace import LocalWorkspace

HELP = """\
Type as the current user in the current channel:
  /incident ...          a slash command (also /contain ...)
  @firebreak ...         mention the bot
  any other text         a message in the channel
Console commands:
  :as NAME               act as another user            (:users lists them)
  :in CHANNEL            switch channel                 (:channels lists them)
  :press N [OPTION]      press button N, or choose OPTION in select N (a bare N works too)
  :set N TEXT            fill field N of the open form        :submit / :cancel  send or drop it
  :pin [K] / :unpin [K]  react with the pin reaction to the K-th latest message (default 1)
  :ingest FILE           run a file of findings (GuardDuty, Security Hub, CloudTrail) through intake
  :history [N]           the last N messages of the channel (default 10)
  :help                  this text
  :quit                  stop (Ctrl-D works too)"""


class Console:
    def __init__(self, workspace: LocalWorkspace, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.ws = workspace
        self.fake = workspace.fake
        self.stdin = stdin
        self.stdout = stdout
        self.user = workspace.settings.config.local.users[0]
        self.channel = workspace.settings.config.local.channels[0]
        self.controls: dict[int, tuple[Control, str, dict]] = {}
        self.form: dict | None = None  # the open modal: view, its numbered inputs, values so far
        self._next_number = 1
        self._print_lock = threading.Lock()
        self.fake.listeners.append(self._on_slack)

    # ------------------------------------------------------------------ output
    def say(self, text: str) -> None:
        with self._print_lock:
            self.stdout.write(text + "\n")
            self.stdout.flush()

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
            self.stdout.write("\n" + rendered.text + "\n")
            self.stdout.flush()

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
            self.say("\n" + rendered.text + "\n  (fill with :set N TEXT, then :submit; :cancel drops it)")

    # ------------------------------------------------------------------ input
    def prompt(self) -> str:
        return f"{self.user}@#{self.channel}> "

    def run(self) -> None:
        self.say(f"Local Firebreak workspace. Bot at {self.ws.url}. You are {self.user} in #{self.channel}.\n"
                 "Type :help for console commands, /incident help for the bot's.")
        while True:
            if self.stdin.isatty():
                try:
                    line = input(self.prompt())
                except EOFError:
                    break
            else:
                line = self.stdin.readline()
                if not line:
                    break
            if not self.handle(line.strip()):
                break
        self.say("Bye.")

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
        elif name == "in" and args:
            target = args[0].lstrip("#")
            if self.fake.channel_id(target) is None:
                self.say(f"! no channel #{target}; :channels lists them")
            else:
                self.channel = self.fake.channels[self.fake.channel_id(target)].name
                self.say(f"You are now in #{self.channel}.")
        elif name == "users":
            self.say("Users: " + ", ".join(self.ws.users))
        elif name == "channels":
            self.say("Channels: " + ", ".join("#" + c.name for c in self.fake.channels.values() if not c.archived))
        elif name == "set" and len(args) >= 2 and args[0].isdigit():
            self._set(int(args[0]), " ".join(args[1:]))
        elif name == "submit":
            self._submit()
        elif name == "cancel":
            self.form = None
            self.say("Form dropped.")
        elif name == "ingest" and args:
            self._ingest(args[0])
        elif name in ("pin", "unpin"):
            self._pin(int(args[0]) if args and args[0].isdigit() else 1, add=name == "pin")
        elif name == "press" and args and args[0].isdigit():
            self._press(int(args[0]), args[1] if len(args) > 1 else None)
        elif name == "history":
            count = int(args[0]) if args and args[0].isdigit() else 10
            for message in self.fake.messages(self.channel)[-count:]:
                self._show(message, self.ws.channel(self.channel))
        else:
            self.say(f"! unknown console command {line!r}; :help lists them")
        return True

    def _slash(self, command: str, text: str) -> None:
        if command not in ("/incident", "/contain"):
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
            chosen = next((value for label, value in field.options if text in (label, value)), None)
            if chosen is None:
                self.say(f"! choose one of: {' | '.join(value for _, value in field.options)}")
                return
            text = chosen
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

    def _ingest(self, path: str) -> None:
        """Findings arrive as they would from SQS or `bot.py ingest`; triage messages follow."""
        from core.errors import FirebreakError
        from core.findings.cli import read_input
        from core.findings.ingest_cli import ingest_command

        try:
            ingest_command(self.ws.services, path, read_input(path), out=self.stdout)
        except FirebreakError as exc:
            self.say(f"! {exc.message}")

    def _pin(self, nth: int, *, add: bool) -> None:
        channel_id = self.ws.channel(self.channel)
        messages = self.fake.messages(self.channel)
        if nth > len(messages):
            self.say(f"! #{self.channel} has only {len(messages)} message(s)")
            return
        ts = messages[-nth]["ts"]
        user_id = self.ws.user(self.user)
        reaction = self.ws.settings.config.incidents.timeline_reaction
        self.fake.react(channel_id, ts, reaction, user_id, add=add)
        self.ws.sender.event({"type": "reaction_added" if add else "reaction_removed", "user": user_id,
                              "reaction": reaction, "item": {"type": "message", "channel": channel_id, "ts": ts}})
        self.say(f"{'Pinned' if add else 'Unpinned'} :{reaction}: on: {messages[-nth].get('text', '')[:60]}")

    def _press(self, number: int, option: str | None) -> None:
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
        elif control.options:
            chosen = next(((label, value) for label, value in control.options if option in (label, value)), None)
            if chosen is None:
                self.say(f"! choose one of: {' | '.join(label for label, _ in control.options)}")
                return
            reply = self.ws.sender.block_action(
                user=user_id, channel=channel_id, action_id=control.action_id, block_id=control.block_id or "",
                message=message, selected={"text": {"type": "plain_text", "text": chosen[0]}, "value": chosen[1]})
        else:
            self.say(f"! control {number} ({control.kind}) cannot be used from the console yet")
            return
        self._show_ack(reply)
