"""core.scheduling.ports.Notices over Slack: status-update reminders and SLA escalations,
posted in the incident channel with the people who must act mentioned. Titles and other
outside text are escaped; mentions are built only from configured or Slack-given ids."""

from __future__ import annotations

from slack_sdk import WebClient

from core.metrics import human
from core.scheduling.ports import Escalation, FollowUp, Reminder
from handlers.blocks import context, escape, section, user
from handlers.reports.post import post_report

SLA_WORDS = {"acknowledge": "acknowledged by its commander", "contain": "contained"}


def mention(slack_id: str) -> str:
    """A user (`<@U…>`) or user-group (`<!subteam^S…>`) mention."""
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else user(slack_id)


def _about(incident) -> str:
    return f"incident *{incident.label} {escape(incident.title)}* ({escape(incident.severity)})"


def reminder_message(reminder: Reminder) -> tuple[str, list[dict]]:
    incident, silent = reminder.incident, human(reminder.now - reminder.since)
    if reminder.commander:
        who = user(reminder.commander)
        body = (f":alarm_clock: {who}, {_about(incident)} has had no status update for *{silent}*; one is due "
                f"every {human(reminder.every)}. Post it with `/incident update <text>`.")
    else:
        who = "No commander"
        body = (f":alarm_clock: {_about(incident)} has had no status update for *{silent}* and has no commander. "
                "Take command with `/incident role commander @you`, then `/incident update <text>`.")
    return f"{who}: a status update is due for incident {incident.label}", [section(body)]


def escalation_message(escalation: Escalation) -> tuple[str, list[dict]]:
    incident = escalation.incident
    people = [mention(i) for i in escalation.mention]
    if escalation.commander and escalation.commander not in escalation.mention:
        people.append(user(escalation.commander))
    ask = f"\n{' '.join(people)}: please step in." if people else ""
    body = (f":rotating_light: *SLA breached*: {_about(incident)} was not {SLA_WORDS[escalation.sla]} within "
            f"{human(escalation.limit)} of its declaration.{ask}")
    shown = [section(body), context(f"Deadline {escalation.deadline:%Y-%m-%d %H:%M} UTC · phase "
                                    f"{escape(incident.phase)}")]
    return f"{' '.join(people)} SLA breached on incident {incident.label}".strip(), shown


def follow_up_message(follow_up: FollowUp) -> tuple[str, list[dict]]:
    incident = follow_up.incident
    who = user(follow_up.owner) if follow_up.owner else "Nobody owns this yet"
    if follow_up.kind == "postmortem":
        body = (f":scroll: {who}: the postmortem of {_about(incident)} was due "
                f"{follow_up.deadline:%Y-%m-%d %H:%M} UTC. Write it with `/incident postmortem`.")
    else:
        item = follow_up.item
        body = (f":dart: {who}: action item #{item.id} of {_about(incident)} was due {item.due:%Y-%m-%d}: "
                f"{escape(item.text)}. `/incident actions` completes it.")
    return f"{follow_up.kind.replace('_', ' ')} overdue on incident {incident.label}", [section(body)]


class SlackNotices:
    def __init__(self, client: WebClient):
        self.client = client

    def remind(self, reminder: Reminder) -> None:
        text, shown = reminder_message(reminder)
        self.client.chat_postMessage(channel=reminder.incident.channel_id, text=text, blocks=shown)

    def escalate(self, escalation: Escalation) -> None:
        text, shown = escalation_message(escalation)
        self.client.chat_postMessage(channel=escalation.incident.channel_id, text=text, blocks=shown)

    def follow_up(self, follow_up: FollowUp) -> None:
        text, shown = follow_up_message(follow_up)
        self.client.chat_postMessage(channel=follow_up.incident.channel_id, text=text, blocks=shown)

    def program_report(self, channel: str, report) -> None:
        post_report(self.client, channel, report)

