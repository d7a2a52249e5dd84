"""In-memory stand-ins for core's ports (chat, board, catalog, notifier, write-back, ...),
so core can be tested directly: no Slack, no AWS, no HTTP, no waiting. Storage stays real
(the test database), because the row locks and unique keys are part of what is tested.

`fake_services(settings, clock)` builds Services through the composition root with every
outside port replaced; each fake records what core asked of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from composition import build_services
from core.containment.catalog import Job, Outcome, Plan
from core.containment.model import ActionFailed
from core.incidents.ports import ChannelNameTaken
from core.messages import PostedMessage
from core.nulls import NoArchive, NoNotifier, NoPager, NoWorkPool


class FakeChat:
    """core.ports.Chat: channels and messages kept in lists."""

    def __init__(self, taken: tuple[str, ...] = ()):
        self.taken = set(taken)
        self.channels: dict[str, dict] = {}
        self.calls: list[tuple] = []
        self._ts = 0

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1.{self._ts:06d}"

    def create_channel(self, name: str, private: bool) -> str:
        if name in self.taken:
            raise ChannelNameTaken(name)
        self.taken.add(name)
        channel = f"C{len(self.channels) + 1:08d}"
        self.channels[channel] = {"name": name, "private": private, "members": set()}
        return channel

    def invite(self, channel: str, members: list[str]) -> None:
        self.channels[channel]["members"].update(members)
        self.calls.append(("invite", channel, tuple(members)))

    def describe_channel(self, incident) -> None:
        self.calls.append(("describe", incident.id))

    def post_summary(self, incident) -> str:
        self.calls.append(("summary", incident.id))
        return self._next_ts()

    def announce(self, incident):
        self.calls.append(("announce", incident.id))
        return "CANNOUNCE", self._next_ts()

    def refresh(self, incident) -> None:
        self.calls.append(("refresh", incident.id, incident.phase, incident.severity))

    def post_entries(self, incident, entries) -> None:
        self.calls.extend(("entry", incident.id, e.kind, e.text) for e in entries)

    def post_status_update(self, incident, text: str, author: str) -> None:
        self.calls.append(("status_update", incident.id, text, author))

    def notify(self, channel: str, text: str, mentions=()) -> None:
        self.calls.append(("notify", channel, text))

    def post_checklist(self, incident, checklist) -> str:
        self.calls.append(("checklist", incident.id, checklist.phase, tuple(s.key for s in checklist.steps)))
        return self._next_ts()

    def update_checklist(self, incident, ts: str, checklist) -> None:
        self.calls.append(("checklist_update", incident.id, ts, checklist.done))

    def upload(self, channel: str, filename: str, content: str, title: str) -> None:
        self.calls.append(("upload", channel, filename, content))

    def post_finding(self, channel: str, finding) -> None:
        self.calls.append(("finding", channel, finding.finding_id))

    def archive(self, channel: str) -> None:
        self.calls.append(("archive", channel))

    def members(self, channel: str) -> set[str]:
        return set(self.channels[channel]["members"])

    def message(self, channel: str, ts: str):
        return None

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]


class FakeBoard:
    """core.containment.ports.Board: the states each request's card went through, and the
    cards themselves (core's views) as posted or edited."""

    def __init__(self):
        self.shown: list[tuple[int, str]] = []
        self.cards: list[tuple[str, Any]] = []  # ("post" | "update", CardView)

    def post(self, card) -> PostedMessage:
        self.shown.append((card.request.id, card.request.state))
        self.cards.append(("post", card))
        return PostedMessage(card.channel or "CBOARD", f"2.{len(self.cards):06d}")

    def update(self, card) -> None:
        self.shown.append((card.request.id, card.request.state))
        self.cards.append(("update", card))

    def states(self, request_id: int) -> list[str]:
        return [state for rid, state in self.shown if rid == request_id]


@dataclass
class FakeCatalog:
    """core.containment.catalog.Catalog: plans and applies without AWS. `fail` makes apply
    raise ActionFailed; `unverified` makes the verification fail."""

    account: str = "123456789012"
    fail: str | None = None
    unverified: bool = False
    already: bool = False  # plans say the target is already in the wanted state
    planned: list[Job] = field(default_factory=list)
    applied: list[Job] = field(default_factory=list)

    def plan(self, job: Job, record) -> Plan:
        self.planned.append(job)
        record({"call": "fake:Describe", "status": "ok"})
        verb = "restore" if job.undo else "change"
        return Plan(job.account or self.account, [f"{job.target} as it is"], [f"{verb} {job.target}"],
                    already_done=self.already and not job.undo)

    def apply(self, job: Job, record) -> Outcome:
        record({"call": "fake:Apply", "status": "ok"})
        if self.fail:
            raise ActionFailed(self.fail, "FakeError")
        self.applied.append(job)
        return Outcome(f"{'undid' if job.undo else 'did'} {job.action} {job.target}", {"before": "x"},
                       [("the change holds", not self.unverified)])


class RecordingNotifier(NoNotifier):
    """core.findings.ports.Notifier: what would have been shown in chat (recovering and closing
    do nothing, as without chat)."""

    def __init__(self):
        self.findings, self.digests, self.indicators = [], [], []

    def finding_changed(self, finding) -> None:
        self.findings.append(finding)

    def digest_changed(self, digest) -> None:
        self.digests.append(digest)

    def indicator_seen(self, match) -> None:
        self.indicators.append(match)

    def drain(self, timeout=None) -> bool:
        return True


class RecordingWriteBack:
    def __init__(self, fail: Exception | None = None):
        self.calls: list[tuple] = []
        self.fail = fail

    def dismiss(self, finding, reason: str, user: str) -> str:
        if self.fail:
            raise self.fail
        self.calls.append((finding.finding_id, reason, user))
        return "written back"

    def snooze(self, finding, until, user: str, reason: str) -> str:
        if self.fail:
            raise self.fail
        self.calls.append((finding.finding_id, "snooze", reason, user))
        return "noted"


class RecordingNotices:
    """core.scheduling.ports.Notices."""

    def __init__(self):
        self.sent: list[tuple[str, Any]] = []

    def remind(self, reminder) -> None:
        self.sent.append(("remind", reminder))

    def escalate(self, escalation) -> None:
        self.sent.append(("escalate", escalation))

    def follow_up(self, follow_up) -> None:
        self.sent.append(("follow_up", follow_up))

    def program_report(self, channel: str, report) -> None:
        self.sent.append(("program_report", (channel, report)))


class FakeDirectory:
    """core.access.Directory: user-group membership from a dict."""

    def __init__(self, groups: dict[str, set[str]] | None = None):
        self.groups = groups or {}

    def group_members(self, group_id: str) -> set[str]:
        return set(self.groups.get(group_id, set()))

    def name(self, user_id: str) -> str | None:
        return None


def fake_services(settings, clock, **overrides):
    """Services with every port faked (override any of them); storage is the test database."""
    ports: dict[str, Any] = dict(chat=FakeChat(), board=FakeBoard(), catalog=FakeCatalog(),
                                 notifier=RecordingNotifier(), writeback=RecordingWriteBack(),
                                 notices=RecordingNotices(), directory=FakeDirectory(), pager=NoPager(),
                                 archive=NoArchive(), finding_polls=(), executor=NoWorkPool())
    ports.update(overrides)
    return build_services(settings, clock=clock, **ports)
