"""`/incident` subcommands for following through: playbooks, action items, the postmortem."""

from __future__ import annotations

from core.incidents import action_items
from core.errors import UsageError
from core.playbooks import runtime
from handlers.playbooks import blocks as playbook_blocks
from handlers.blocks import escape, section
from handlers.postmortems.views import postmortem_modal
from handlers.slack_text import from_slack, user_id


ITEM_VERBS = ("edit", "assign", "due", "delete")


class ReviewCommands:
    """Mixed into IncidentCommands (which provides services and _target)."""

    def do_playbook(self, args, rest, command, respond) -> None:
        incident, args, _ = self._target("playbook", args, rest, command)
        if not args:
            if incident.playbook and incident.playbook in self.services.playbooks:
                views = [runtime.checklist(self.services, incident, phase)
                         for phase in self.services.playbooks[incident.playbook].phases]
                text, shown = playbook_blocks.all_phases(incident, [v for v in views if v.steps])
            else:
                names = ", ".join(f"`{escape(n)}`" for n in sorted(self.services.playbooks)) or "none configured"
                text, shown = "Playbooks", [section(f"Incident {incident.label} has no playbook. Playbooks: {names}")]
            respond(text=text, blocks=shown, response_type="ephemeral")
            return
        runtime.attach(self.services, incident, args[0].lower(), command["user_id"])

    def do_action(self, args, rest, command, respond) -> None:
        incident, args, rest = self._target("action", args, rest, command)
        if len(args) >= 2 and args[0].lower() in ITEM_VERBS and args[1].lstrip("#").isdigit():
            return self._change_item(incident, args[0].lower(), int(args[1].lstrip("#")),
                                     rest.split(None, 2)[2] if len(rest.split(None, 2)) > 2 else "", command, respond)
        text, due = action_items.parse_due(rest)
        owners = [user_id(word) for word in text.split() if user_id(word)]
        text = " ".join(word for word in text.split() if not user_id(word))
        if len(owners) > 1:
            raise UsageError("Name one owner per action item.", action_items.USAGE)
        item = action_items.add(self.services, incident, text=from_slack(text), owner=owners[0] if owners else None,
                                due=due, actor=command["user_id"])
        respond(text=f"Action item #{item.id} added", response_type="in_channel",
                blocks=[section(f":dart: Action item #{item.id} for incident {incident.label}: {escape(item.text)}"
                                + (f" — owner <@{item.owner}>" if item.owner else "")
                                + (f", due {item.due:%Y-%m-%d}" if item.due else ""))])

    def _change_item(self, incident, verb: str, item_id: int, text: str, command, respond) -> None:
        """`edit 3 <text>`, `assign 3 @someone`, `due 3 YYYY-MM-DD`, `delete 3`."""
        actor = command["user_id"]
        if verb == "delete":
            gone = action_items.delete(self.services, incident, item_id, actor=actor)
            return respond(text=f"Action item #{item_id} deleted", response_type="in_channel",
                           blocks=[section(f":wastebasket: Action item #{item_id} deleted: {escape(gone.text)}")])
        if verb == "assign":
            owner = user_id(text.split()[0]) if text.split() else None
            if owner is None:
                raise UsageError("Name the new owner with an @-mention.", action_items.USAGE)
            item = action_items.change(self.services, incident, item_id, actor=actor, owner=owner)
        elif verb == "due":
            _, due = action_items.parse_due(f"due:{text.strip()}")
            item = action_items.change(self.services, incident, item_id, actor=actor, due=due)
        else:
            item = action_items.change(self.services, incident, item_id, actor=actor, text=from_slack(text))
        respond(text=f"Action item #{item.id} changed", response_type="in_channel",
                blocks=[section(f":pencil2: Action item #{item.id}: {escape(item.text)}"
                                + (f" — owner <@{item.owner}>" if item.owner else "")
                                + (f", due {item.due:%Y-%m-%d}" if item.due else ""))])

    def do_actions(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("actions", args, rest, command)
        text, shown = playbook_blocks.action_items(incident, action_items.listed(self.services, incident))
        respond(text=text, blocks=shown, response_type="ephemeral")

    def do_postmortem(self, args, rest, command, respond) -> None:
        incident, _, _ = self._target("postmortem", args, rest, command)
        self.client.views_open(trigger_id=command["trigger_id"], view=postmortem_modal(incident))
