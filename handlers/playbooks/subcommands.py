"""The parsers of the follow-through subcommands of `/incident` (the table is in
handlers/incidents/table.py): playbook and action."""

from __future__ import annotations

from core.errors import UsageError
from core.incidents import action_items
from handlers.incidents.target import aim
from handlers.jobs.command import Command
from handlers.playbooks.commands import AddActionItem, AttachPlaybook, ChangeActionItem, DeleteActionItem, \
    ItemText, ShowPlaybook
from handlers.slash import Sub, Words
from handlers.slack_text import from_slack, user_id

ITEM_VERBS = ("edit", "assign", "due", "delete")


def playbook(sub: Sub, words: Words) -> ShowPlaybook | AttachPlaybook:
    aimed = aim(sub, words)
    if not aimed.args:
        return ShowPlaybook(**words.asked.acting, target=aimed.target)
    return AttachPlaybook(**words.asked.acting, target=aimed.target, name=aimed.args[0].lower())


def item_text(text: str) -> ItemText:
    """`<text> @owner [due:YYYY-MM-DD]`: the text without the mention and the due date."""
    text, due = action_items.parse_due(text)
    unknown = next((word for word in text.split() if word.startswith("@") and not user_id(word)), None)
    if unknown:  # as `role` answers: an owner Slack did not turn into a mention owns nothing
        raise UsageError(f"“{unknown[:40]}” is not someone Slack recognised: pick the owner from Slack's "
                         "@-mention list (it turns blue), or check they are in this workspace.", action_items.USAGE)
    owners = [user_id(word) for word in text.split() if user_id(word)]
    if len(owners) > 1:
        raise UsageError("Name one owner per action item.", action_items.USAGE)
    text = " ".join(word for word in text.split() if not user_id(word))
    return ItemText(text=from_slack(text), owner=owners[0] if owners else None, due=due)


def action(sub: Sub, words: Words) -> Command:
    """Add an item, or change one (`edit|assign|due|delete <#> …`). A bare number first is
    the incident before a change; before an item's text it may be the text's own."""
    aimed = aim(sub, words, free_text=True, min_args=1)
    args, acting = aimed.args, words.asked.acting
    if len(args) >= 2 and args[0].lower() in ITEM_VERBS and args[1].lstrip("#").isdigit():
        target = aimed.target.model_copy(update={"ref_may_be_text": False})
        return _change(target, args[0].lower(), int(args[1].lstrip("#")), aimed.rest.split(None, 2), acting)
    here = item_text(words.rest) if aimed.target.ref_may_be_text else None
    return AddActionItem(**acting, target=aimed.target, item=item_text(aimed.rest), item_if_here=here)


def _change(target, verb: str, item: int, parts: list[str], acting: dict) -> Command:
    """`edit 3 <text>`, `assign 3 @someone`, `due 3 YYYY-MM-DD`, `delete 3`."""
    text = parts[2] if len(parts) > 2 else ""
    if verb == "delete":
        return DeleteActionItem(**acting, target=target, item=item)
    if verb == "assign":
        owner = user_id(text.split()[0]) if text.split() else None
        if owner is None and text.split() and text.split()[0].startswith("@"):
            raise UsageError(f"“{text.split()[0][:40]}” is not someone Slack recognised: pick the owner from "
                             "Slack's @-mention list (it turns blue).", action_items.USAGE)
        if owner is None:
            raise UsageError("Name the new owner with an @-mention.", action_items.USAGE)
        return ChangeActionItem(**acting, target=target, item=item, owner=owner)
    if verb == "due":
        _, due = action_items.parse_due(f"due:{text.strip()}")
        return ChangeActionItem(**acting, target=target, item=item, due=due)
    return ChangeActionItem(**acting, target=target, item=item, text=from_slack(text))
