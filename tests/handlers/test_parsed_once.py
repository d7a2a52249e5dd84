"""`/incident declare` and `/incident aws-support` are parsed exactly once per request: in
the ack, into the typed command the job carries. The worker runs the command without
reading the text again. Counted across the ack and the work (the job ran: the incident
exists, the case is open), through the real server, queue and worker."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from tests.handlers.test_aws_cases import command, declare, workspace
from core.communications import aws_cases
from handlers.incidents.table import INCIDENT
from handlers.slash import SlashTable
from tests.support.support_cases import support_api  # noqa: F401 - fixture


@pytest.fixture
def counted(monkeypatch):
    """Counts of every parse: the /incident table, its declare and aws-support entries, and
    core's AWS Support grammar."""
    calls: Counter = Counter()

    def counting(name, parse):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return parse(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(SlashTable, "parse", counting("table", SlashTable.parse))
    for name in ("declare", "aws-support"):
        entry = INCIDENT[name]
        monkeypatch.setitem(INCIDENT._by_name, name, dataclasses.replace(entry, parse=counting(name, entry.parse)))
    monkeypatch.setattr(aws_cases, "parse_support", counting("parse_support", aws_cases.parse_support))
    return calls


def test_declare_is_parsed_once_across_the_ack_and_the_work(settings, counted):
    ws = workspace(settings, {})
    try:
        incident = declare(ws, "sev2 Root access keys used from an unknown address")
        assert incident.title == "Root access keys used from an unknown address" and incident.channel_id
        assert [j.route for j in ws.services.repos.jobs.listed()] == ["incident.declare"]
        assert counted == {"table": 1, "declare": 1}
    finally:
        ws.stop()


def test_aws_support_is_parsed_once_across_the_ack_and_the_work(settings, moto_inprocess, support_api, counted):
    ws = workspace(settings, {"aws_support": {"enabled": True}})
    try:
        incident = declare(ws, "sev2 Root access keys used from an unknown address")
        counted.clear()
        command(ws, "aws-support --severity high Please help us", channel=incident.channel_id)
        [record] = ws.services.repos.communications.cases(incident.id)
        assert record.state == "open" and record.severity == "high"
        assert counted == {"table": 1, "aws-support": 1, "parse_support": 1}
    finally:
        ws.stop()
