"""/evidence and /remediate through signed Slack requests: each answers its own help, sends a
mistyped family to the right command, and a remediation whose precondition is unmet is
refused in plain words before anything is planned in AWS."""

from __future__ import annotations

import pytest

from tests.support.containment import declare, requests, workspace
from tests.support.slack import ack_body, all_text, settled


@pytest.fixture
def ws(settings, moto_inprocess):
    ws = workspace(settings)
    yield ws
    ws.stop()


def send(ws, incident, command, text, user="alice"):
    return ws.sender.command(command, text, user=ws.user(user), channel=incident.channel_id)


def test_each_command_answers_its_own_help_and_refuses_another_familys_action(ws):
    incident = declare(ws)
    shown = all_text(ack_body(send(ws, incident, "/evidence", "help")))
    assert "collect-disk" in shown and "collect-memory" in shown and "isolate-instance" not in shown
    remediate = all_text(ack_body(send(ws, incident, "/remediate", "help")))
    assert "lift-isolation" in remediate and "needs isolated" in remediate
    wrong = ack_body(send(ws, incident, "/evidence", "isolate-instance i-0123456789abcdef0"))
    assert wrong["response_type"] == "ephemeral"
    assert "/contain isolate-instance" in all_text(wrong)


def test_a_remediation_without_its_precondition_is_refused_and_nothing_is_requested(ws):
    incident = declare(ws)
    answers = len(ws.fake.calls_to("response_url"))
    assert ack_body(send(ws, incident, "/remediate", "delete-access-key AKIAIOSFODNN7EXAMPLE")) == {}
    calls = settled(ws, lambda: len(found := ws.fake.calls_to("response_url")) > answers and found)
    answer = all_text(calls[-1].body)
    assert "needs evidence recorded first" in answer and "/evidence collect-logs" in answer
    assert requests(ws) == [], "a refused remediation leaves no request behind"
