"""The worker side of a job: a typed command's document, run by its route's handler over a
reply port, without a Bolt app. What is not one of our command documents (an older job's
replayable Slack request, a tampered row) is a dead letter, never run."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from unittest.mock import Mock

import pytest

import composition
import handlers
from core.jobs import Job, JobFailed
from handlers.incidents.commands import Declare
from handlers.incidents.target import Target
from handlers.jobs.command import Command, ReplyTo, document
from handlers.jobs.dispatch import Dispatcher
from handlers.jobs.routes import Routes


def _job(payload: dict, route: str = "incident.note") -> Job:
    return Job(id=7, key="command:1.2.3", route=route, payload=payload, state="running", attempts=1,
               run_after=datetime.now(timezone.utc))


def _commands(base: type = Command) -> set[type]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub} | _commands(sub)
    return found


def test_every_command_a_listener_can_enqueue_has_one_handler():
    routes = handlers.job_routes()  # imports every domain's commands and work
    commands = _commands()
    names = [c.route for c in commands]
    assert len(names) == len(set(names)), "two commands share a route"
    assert sorted(names) == sorted(routes)
    assert all(routes.get(c.route).command is c for c in commands)


def test_a_declare_job_holds_the_command_and_where_to_answer_nothing_else():
    command = Declare(user="U1", team="T1", title="Root login", severity="sev2", channel="C1", key="slack:1.2.3")
    payload = document(command, ReplyTo(response_url="https://hooks.slack.test/1", channel="C1"))
    assert payload == {"version": 1, "route": "incident.declare",
                       "command": {"user": "U1", "team": "T1", "title": "Root login", "severity": "sev2",
                                   "private": None, "channel": "C1", "key": "slack:1.2.3"},
                       "reply_to": {"response_url": "https://hooks.slack.test/1", "channel": "C1"}}


def test_the_worker_runs_the_routes_handler_with_the_typed_command_and_a_reply_port():
    ran = []
    routes = Routes()
    routes.add(Declare, lambda services, command, reply: ran.append((services, command, reply.to)))
    command = Declare(user="U1", title="Root login", key="k")
    to = ReplyTo(response_url="https://hooks.slack.test/1")
    services = object()
    Dispatcher(services, Mock(), routes).execute(_job(document(command, to), route="incident.declare"))
    assert ran == [(services, command, to)]


@pytest.mark.parametrize("payload, why", [
    ({"body": {"command": "/incident", "text": "declare x", "user_id": "U1"}, "parsed": None}, "no command document"),
    ({"version": 1, "route": "incident.note", "reply_to": {},
      "command": {"user": "U1", "target": {"channel": "C1"}, "text": "hi", "body": {"user_id": "UADMIN"}}},
     "no valid incident.note command"),
    ({"version": 1, "route": "incident.note", "reply_to": {}, "command": {"target": {}, "text": "hi"}},
     "no valid incident.note command"),
    ({"version": 1, "route": "incident.nope", "reply_to": {}, "command": {"user": "U1"}}, "no handler"),
    ({"version": 2, "route": "incident.note", "reply_to": {}, "command": {}}, "no command document"),
])
def test_a_row_that_is_not_a_command_document_is_a_dead_letter(payload, why):
    routes = handlers.job_routes()
    with pytest.raises(JobFailed, match=why):
        Dispatcher(None, Mock(), routes).execute(_job(payload, route=payload.get("route", "command:/incident")))


def test_a_job_whose_route_column_disagrees_with_its_document_is_a_dead_letter():
    note = {"version": 1, "route": "incident.note", "reply_to": {},
            "command": {"user": "U1", "target": Target(channel="C1").model_dump(), "text": "hi"}}
    with pytest.raises(JobFailed, match="no handler"):
        Dispatcher(None, Mock(), handlers.job_routes()).execute(_job(note, route="incident.declare"))


def test_a_worker_process_builds_no_bolt_app(settings, monkeypatch):
    """`bot.py worker`'s wiring (composition.worker_process, what cli/work.py runs) with a
    Slack token: the dispatcher and the Web API client, and no slack_bolt App at all."""
    import slack_bolt
    import slack_bolt.app.app

    def refuse(*args, **kwargs):
        raise AssertionError("a worker built a Bolt app")

    monkeypatch.setattr(slack_bolt.app.app.App, "__init__", refuse)
    monkeypatch.setattr(slack_bolt, "App", refuse)
    secrets = dataclasses.replace(settings.secrets, slack_bot_token="xoxb-test", slack_api_url="http://127.0.0.1:9/")
    process = composition.worker_process(dataclasses.replace(settings, secrets=secrets))
    try:
        assert process.bolt is None and process.web is None and process.identity is None
        assert isinstance(process.dispatcher, Dispatcher) and "incident.declare" in process.dispatcher.routes
        assert process.slack_check is not None  # it still waits for Slack to confirm the token
    finally:
        process.drain()
