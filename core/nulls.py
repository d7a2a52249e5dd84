"""The null object of every port in Services: what a process has when that outside world is
not configured or not reachable from it. The composition root starts from these and replaces
each with the real adapter it builds, so core never asks whether a port exists.

Communications' ways out (NoStakeholderChat, NoEmail, NoPaging, NoSupportDesk,
NoSecurityIncidentResponse) live beside their ports, as the defaults of Outreach.

Two kinds: do-nothing (nothing is shown or counted: no chat, no board, no notifier) and
not-configured (asking for a delivery or a read raises NotConnected, or the typed error the
caller always showed for it), so nothing pretends to have been sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from core.communications.ports import (NoEmail, NoPaging, NoSecurityIncidentResponse, NoStakeholderChat,
                                      NoSupportDesk)
from core.errors import NotConnected, UsageError
from core.incidents.model import Incident, TimelineEntry
from core.response.catalog import AwsCallRecorder, Job, Outcome, Plan

NO_SANDBOX = "no AWS sandbox is in use in this process"


# ---------------------------------------------------------------------- chat and people
class NoDirectory:
    """No user directory: user groups have no members, people no display names."""

    def group_members(self, group_id: str) -> set[str]:
        return set()

    def name(self, user_id: str) -> str | None:
        return None

    def user_by_email(self, email: str) -> str | None:
        return None


class NoChat:
    """No chat platform: no channel is created (incidents live without one), nothing is posted."""

    def create_channel(self, name: str, private: bool) -> str | None:
        return None

    def invite(self, channel: str, members: list[str]) -> None:
        pass

    def describe_channel(self, incident: Incident) -> None:
        pass

    def post_summary(self, incident: Incident) -> str:
        return ""  # nothing posted: no message

    def announce(self, incident: Incident) -> tuple[str, str] | None:
        return None

    def refresh(self, incident: Incident) -> None:
        pass

    def post_entries(self, incident: Incident, entries: list[TimelineEntry]) -> None:
        pass

    def post_status_update(self, incident: Incident, text: str, author: str) -> None:
        pass

    def notify(self, channel: str, text: str, mentions: tuple[str, ...] = ()) -> None:
        pass

    def post_checklist(self, incident: Incident, checklist) -> str:
        return ""  # nothing posted: no message

    def update_checklist(self, incident: Incident, ts: str, checklist) -> None:
        pass

    def upload(self, channel: str, filename: str, content: str, title: str) -> None:
        pass

    def post_finding(self, channel: str, finding) -> None:
        pass

    def members(self, channel: str) -> set[str]:
        return set()

    def archive(self, channel: str) -> None:
        pass

    def message(self, channel: str, ts: str) -> dict | None:
        return None


class NoNotifier:
    """Findings are not shown in chat here: they wait in the database for a process that shows them."""

    def finding_changed(self, finding) -> None:
        pass

    def digest_changed(self, digest) -> None:
        pass

    def indicator_seen(self, match) -> None:
        pass

    def recover(self) -> int:
        return 0

    def drain(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        pass


class NoNotices:
    """The clock's reminders and escalations cannot be posted here: NotConnected, so they stay due."""

    def remind(self, reminder) -> None:
        raise NotConnected("no chat connected for reminders")

    def escalate(self, escalation) -> None:
        raise NotConnected("no chat connected for escalations")

    def follow_up(self, follow_up) -> None:
        raise NotConnected("no chat connected for follow-ups")

    def program_report(self, channel: str, report) -> None:
        raise NotConnected("no chat connected for the program report")


class NoBoard:
    """Containment request cards are not shown (the requests themselves are stored as ever)."""

    def post(self, card) -> None:
        return None  # nothing posted: no message to remember

    def update(self, card) -> None:
        pass


# ---------------------------------------------------------------------- AWS and the outside
class NoCatalog:
    """No response actions in this process: planning or running one is refused."""

    def plan(self, job: Job, record: AwsCallRecorder) -> Plan:
        raise NotConnected("Containment is not available in this process (no action catalog).")

    def apply(self, job: Job, record: AwsCallRecorder) -> Outcome:
        raise NotConnected("Containment is not available in this process (no action catalog).")


class NoEventHistory:
    """No CloudTrail access: /investigate is refused."""

    def lookup(self, question, *, start: datetime, end: datetime, account: str | None, region: str):
        raise NotConnected("Investigation is not available in this process (no CloudTrail access configured).")


class NoWriteBack:
    """No AWS write-back: a dismissal is recorded in Firebreak only (NotConnected tells triage so)."""

    def dismiss(self, finding, reason: str, user: str) -> str:
        raise NotConnected("no AWS write-back configured")

    def snooze(self, finding, until, user: str, reason: str) -> str:
        raise NotConnected("no AWS write-back configured")


class NoArchive:
    """No document archive (postmortem.s3_bucket unset): storing a document is refused."""

    def put(self, bucket: str, key: str, content: str) -> str:
        raise NotConnected("no document archive configured")


class NoPager:
    """No SNS escalation topic: an escalation cannot be published (NotConnected: it stays due)."""

    def page(self, escalation) -> None:
        raise NotConnected("no SNS escalation topic configured")


class NoEvidenceReader:
    """No AWS access to re-read evidence: `evidence verify` is refused."""

    def object_sha256(self, *, account: str, region: str, bucket: str, key: str, version_id: str | None):
        raise UsageError("Evidence cannot be verified in this process (no AWS access configured).")

    def snapshot_tags(self, *, account: str, region: str, snapshot_id: str) -> dict[str, str] | None:
        raise UsageError("Evidence cannot be verified in this process (no AWS access configured).")


class NoAnchor:
    """The audit chain's head is not copied outside the database: nothing anchored, anchoring refused."""

    def put(self, head) -> str:
        raise NotConnected("no audit anchor configured (audit.anchor.s3_bucket)")

    def latest(self):
        return None


class NoSandbox:
    """No AWS sandbox in use: drill containment becomes a dry run, saying so."""

    endpoint = account = region = ""

    def placeholders(self) -> dict[str, str]:
        return {}

    def not_in_use(self) -> str | None:
        return NO_SANDBOX


class NoFetch:
    """No HTTPS client: fetching a URL (an SNS signing certificate) is refused."""

    def __call__(self, url: str) -> bytes:
        raise NotConnected("no HTTPS client in this process")


# ---------------------------------------------------------------------- the process
class NoWorkPool:
    """No pool (the process serves no Slack requests): work handed to it runs at once, in the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True


class _Uncounted:
    def labels(self, **labels: str) -> "_Uncounted":
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


class NoTelemetry:
    """Nothing is counted; /metrics shows nothing."""

    http_requests = http_latency = slack_requests = rejected_requests = duplicate_requests = errors = \
        domain_events = _Uncounted()

    def exposition(self) -> bytes:
        return b""


__all__ = ["NO_SANDBOX", "NoAnchor", "NoArchive", "NoBoard", "NoCatalog", "NoChat", "NoDirectory", "NoEmail",
           "NoEventHistory", "NoEvidenceReader", "NoFetch", "NoNotices", "NoNotifier", "NoPager", "NoPaging",
           "NoSandbox", "NoSecurityIncidentResponse", "NoStakeholderChat", "NoSupportDesk", "NoTelemetry",
           "NoWorkPool", "NoWriteBack"]
