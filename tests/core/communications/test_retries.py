"""Automatic notifications that fail are sent again by the clock (core, fakes for the chat):
after their backoff only, only to the targets not yet reached, at most retry_attempts times."""

from __future__ import annotations

import pytest

from core.incidents import service as incidents
from core.communications.ports import Outreach
from core.communications.service import NoticeRetries
from core.incidents.ports import ChatError
from tests.support.communications import with_communications
from tests.support.fakes import fake_services

PLAN = {"audiences": {"leads": {"slack_channels": ["C0A", "C0B"]}},
        "rules": [{"when": ["declared"], "notify": ["leads"]}], "retry_seconds": 60, "retry_attempts": 2}


class FlakyChat:
    """Posts to every target except those in `failing`; says which it reached when it fails."""

    def __init__(self, failing):
        self.failing, self.sent, self.calls = set(failing), [], 0

    def send(self, message, channels, users, skip=()):
        self.calls += 1
        done, problems = [], []
        for target in [*channels, *users]:
            if target in skip:
                continue
            (problems if target in self.failing else done).append(target)
        self.sent += done
        if problems:
            error = ChatError("channel_not_found: " + ", ".join(problems))
            error.delivered = done
            raise error
        return done


@pytest.fixture
def chat():
    return FlakyChat(failing={"C0B"})


@pytest.fixture
def services(settings, clock, chat):
    return fake_services(with_communications(settings, PLAN), clock, outreach=Outreach(chat=chat))


def notice(services, incident):
    [record] = services.repos.communications.notices(incident.id)
    return record


def test_a_partly_delivered_notice_is_finished_after_its_backoff_to_the_missing_target_only(services, clock, chat):
    incident = incidents.declare(services, title="Keys leaked", declared_by="U0ALICE", severity="sev2").incident
    assert chat.sent == ["C0A"] and notice(services, incident).state == "partial"
    retry = NoticeRetries()
    clock.advance(seconds=30)
    assert retry(services) == 0 and chat.calls == 1  # its backoff has not passed
    clock.advance(seconds=31)
    assert retry(services) == 0 and chat.sent == ["C0A"]  # C0B still failing; C0A not sent again
    assert notice(services, incident).detail["retries"] == 1
    chat.failing.clear()
    clock.advance(seconds=61)
    assert retry(services) == 0 and chat.calls == 2  # the backoff doubled: 120 s now
    clock.advance(seconds=60)
    assert retry(services) == 1 and chat.sent == ["C0A", "C0B"]
    record = notice(services, incident)
    assert record.state == "sent" and record.detail["targets"] == ["C0A", "C0B"]
    clock.advance(hours=5)
    assert retry(services) == 0 and chat.calls == 3  # delivered: never again
    lines = [e.text for e in services.incidents.timeline(incident.id) if e.kind == "stakeholder_notice"]
    assert lines[0].startswith("Partly told leads (declaration)") and "channel_not_found" in lines[0]
    assert lines[-1].startswith("Told leads (declaration, attempt 3)")


def test_retries_stop_after_retry_attempts(services, clock, chat):
    chat.failing = {"C0A", "C0B"}
    incident = incidents.declare(services, title="Keys leaked", declared_by="U0ALICE", severity="sev2").incident
    for _ in range(10):
        clock.advance(hours=1)
        NoticeRetries()(services)
    assert chat.calls == 1 + PLAN["retry_attempts"]
    record = notice(services, incident)
    assert record.state == "failed" and record.detail["retries"] == 2 and "retry_at" not in record.detail
