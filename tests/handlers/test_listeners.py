"""The listeners as plain module-level functions (bolt-python's starter template): called
with a mock `ack`, a recording job queue and the shipped configuration, with no Slack, no
HTTP and no database. A usage error is answered in the ack, once, and enqueues nothing; a
valid request commits exactly one job holding its typed command, then acks."""

from __future__ import annotations

import json
from types import SimpleNamespace
from unittest.mock import Mock

import pytest

from core.settings import load_settings
from web.metrics import PrometheusTelemetry
from handlers.containment.actions import approve_pressed
from handlers.containment.commands import RequestAction
from handlers.containment.slash import response_command
from handlers.incidents.commands import AddNote, Declare
from handlers.incidents.slash import incident_command
from handlers.investigation.slash import investigate_command
from handlers.jobs.command import JobDocument
from handlers.jobs.intake import Intake
from tests.support.slack import all_text


class RecordingQueue:
    """core.jobs.JobQueue's enqueue, in a list: unique keys, as the jobs table has."""

    def __init__(self, fail: Exception | None = None):
        self.jobs: list[dict] = []
        self.fail = fail

    def enqueue(self, *, key, route, payload, at) -> bool:
        if self.fail is not None:
            raise self.fail
        if any(job["key"] == key for job in self.jobs):
            return False
        self.jobs.append({"key": key, "route": route, "payload": json.loads(json.dumps(payload))})
        return True


@pytest.fixture
def services():
    """What an ack may read: the shipped configuration (no database is opened)."""
    return SimpleNamespace(config=load_settings(environ={}).config)


@pytest.fixture
def queue():
    return RecordingQueue()


@pytest.fixture
def intake(queue):
    return Intake(queue, PrometheusTelemetry())


def slash(command: str, text: str, trigger_id: str = "1.2.trigger") -> dict:
    """A slash command's body as Bolt hands it over (Slack's form fields)."""
    return {"token": "unused", "team_id": "T1", "team_domain": "acme", "channel_id": "C1", "channel_name": "general",
            "user_id": "U1", "user_name": "alice", "command": command, "text": text, "api_app_id": "A1",
            "response_url": "https://hooks.slack.test/commands/1", "trigger_id": trigger_id}


def test_a_usage_error_is_answered_in_the_ack_once_and_enqueues_nothing(services, intake, queue):
    ack = Mock()
    incident_command(ack=ack, body=slash("/incident", "declare sev1"), client=Mock(), services=services,
                     intake=intake)
    ack.assert_called_once()
    said = ack.call_args.kwargs
    assert said["response_type"] == "ephemeral" and "An incident needs a title." in all_text(said)
    assert "Usage: `/incident declare [private] [severity] &lt;title&gt;`" in all_text(said)
    assert queue.jobs == []


def test_a_valid_command_enqueues_exactly_one_job_with_its_typed_command(services, intake, queue):
    ack = Mock()
    body = slash("/incident", "declare private sev2 Root login from &lt;unknown&gt;")
    incident_command(ack=ack, body=body, client=Mock(), services=services, intake=intake)
    ack.assert_called_once_with()  # an empty ack: the job is committed
    [job] = queue.jobs
    assert job["key"] == "command:1.2.trigger" and job["route"] == "incident.declare"
    document = JobDocument.model_validate(job["payload"])
    assert document.route == "incident.declare"
    assert Declare.model_validate(document.command) == Declare(
        user="U1", team="T1", title="Root login from <unknown>", severity="sev2", private=True, channel="C1",
        key="slack:1.2.trigger")
    assert job["payload"]["reply_to"] == {"response_url": "https://hooks.slack.test/commands/1", "channel": "C1"}
    stored = json.dumps(job["payload"])
    for leftover in ("token", "api_app_id", "user_name", "team_domain", "channel_name", "&lt;"):
        assert leftover not in stored, leftover  # nothing of the raw request but what the command needs


def test_a_free_text_command_keeps_both_readings_of_a_bare_number(services, intake, queue):
    incident_command(ack=Mock(), body=slash("/incident", "note 3 hosts are down"), client=Mock(),
                     services=services, intake=intake)
    [job] = queue.jobs
    note = AddNote.model_validate(job["payload"]["command"])
    assert (note.target.ref, note.target.ref_may_be_text) == ("3", True)
    assert (note.text, note.text_if_here) == ("hosts are down", "3 hosts are down")


def test_a_slack_retry_acks_again_and_enqueues_nothing_new(services, intake, queue):
    for _ in range(2):
        ack = Mock()
        incident_command(ack=ack, body=slash("/incident", "note Still looking"), client=Mock(), services=services,
                         intake=intake)
        ack.assert_called_once_with()
    assert len(queue.jobs) == 1
    assert intake.telemetry.duplicate_requests._value.get() == 1


def test_nothing_is_acked_when_the_job_cannot_be_committed(services):
    ack = Mock()
    broken = Intake(RecordingQueue(fail=ConnectionError("database gone")), PrometheusTelemetry())
    with pytest.raises(ConnectionError):
        incident_command(ack=ack, body=slash("/incident", "note x"), client=Mock(), services=services, intake=broken)
    ack.assert_not_called()  # Slack retries the request


def test_help_and_a_misspelt_subcommand_are_answered_in_the_ack(services, intake, queue):
    ack = Mock()
    incident_command(ack=ack, body=slash("/incident", "declar Root login"), client=Mock(), services=services,
                     intake=intake)
    ack.assert_called_once()
    shown = all_text(ack.call_args.kwargs)
    assert "Unknown subcommand “declar”. Did you mean `declare`?" in shown and "/incident note [id] &lt;text&gt;" \
        in shown
    assert queue.jobs == []


def test_declare_without_text_opens_the_form_in_the_ack_and_enqueues_nothing(services, intake, queue):
    ack, client = Mock(), Mock()
    incident_command(ack=ack, body=slash("/incident", "declare"), client=client, services=services, intake=intake)
    ack.assert_called_once_with()
    client.views_open.assert_called_once()
    assert client.views_open.call_args.kwargs["trigger_id"] == "1.2.trigger"
    assert queue.jobs == []


def test_contain_parses_its_action_in_the_ack(intake, queue):
    ack = Mock()
    response_command(ack=ack, body=slash("/contain", "isolate-instanse i-0123456789abcdef0"), intake=intake)
    ack.assert_called_once()
    assert "Did you mean `isolate-instance`?" in all_text(ack.call_args.kwargs) and queue.jobs == []
    ack = Mock()
    response_command(ack=ack, body=slash("/contain", "isolate-instance i-0123456789abcdef0 --dry-run", "t2"),
                     intake=intake)
    ack.assert_called_once_with()
    [job] = queue.jobs
    request = RequestAction.model_validate(job["payload"]["command"])
    assert (request.parsed.action, request.parsed.target, request.parsed.dry_run) == \
        ("isolate-instance", "i-0123456789abcdef0", True)


def test_investigate_help_lists_the_subjects(services, intake, queue):
    ack = Mock()
    investigate_command(ack=ack, body=slash("/investigate", "help"), services=services, intake=intake)
    ack.assert_called_once()
    shown = all_text(ack.call_args.kwargs)
    assert all(f"/investigate {subject} " in shown for subject in ("principal", "ip", "key", "instance", "bucket"))
    assert queue.jobs == []


def test_a_button_with_a_tampered_value_acks_and_enqueues_its_refusal(intake, queue):
    ack = Mock()
    body = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U2"}, "trigger_id": "9.9.t",
            "channel": {"id": "C1"}, "response_url": "https://hooks.slack.test/actions/1",
            "actions": [{"action_id": "contain_approve", "value": "12; drop table"}]}
    approve_pressed(ack=ack, body=body, action=body["actions"][0], intake=intake)
    ack.assert_called_once_with()
    [job] = queue.jobs
    assert job["route"] == "refused" and job["key"] == "block_actions:9.9.t"
    assert job["payload"]["command"] == {"user": "U2", "team": "T1", "usage": "",
                                         "message": "That button is out of date; use the latest containment message."}
