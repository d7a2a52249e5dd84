"""Two bot processes on one database handling commands for the same incident: no update is
lost and no timeline entry doubled, even when Slack's retry of a command reaches the other
replica. Runs on SQLite and, in CI's second pass, on PostgreSQL (the supported scale-out)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.slack import eventually, second_replica as start_replica

pytestmark = pytest.mark.slow


@pytest.fixture
def second_replica(workspace):
    with start_replica(workspace) as sender:
        yield sender


def test_two_replicas_lose_nothing_and_double_nothing(workspace, second_replica):
    replicas = [workspace.sender, second_replica]
    alice = workspace.user("alice")
    workspace.sender.command("/incident", "declare sev4 Shared incident", user=alice,
                             channel=workspace.channel("general"))
    incident = eventually(lambda: next((i for i in workspace.services.incidents.recent() if i.announce_ts), None))
    severities = ["sev3", "sev2", "sev1", "sev2", "sev3", "sev4"] * 2

    def send(n):
        if n < 24:  # a note, and Slack's retry of the very same request landing on the other replica
            text, trigger = f"note observation {n}", f"note-{n}"
            first, retry = replicas[n % 2], replicas[(n + 1) % 2]
            first.command("/incident", text, user=alice, channel=incident.channel_id, trigger_id=trigger)
            retry.command("/incident", text, user=alice, channel=incident.channel_id, trigger_id=trigger,
                          retry_num=1)
        else:  # severity changes race each other on both replicas
            severity = severities[n - 24]
            replicas[n % 2].command("/incident", f"severity {severity}", user=alice, channel=incident.channel_id)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(24 + len(severities))))

    def settled():
        entries = workspace.services.incidents.timeline(incident.id, limit=None)
        notes = [e.text for e in entries if e.kind == "note"]
        return len(notes) == 24 and entries

    entries = eventually(settled, timeout=30)
    time.sleep(0.5)  # anything still in flight would show up as a duplicate now
    entries = workspace.services.incidents.timeline(incident.id, limit=None)
    notes = sorted(e.text for e in entries if e.kind == "note")
    assert notes == sorted(f"observation {n}" for n in range(24)), "a note was lost or doubled"
    changes = [e.data for e in entries if e.kind == "severity"]
    # Each change saw the state the previous one left: the chain has no gaps.
    chain = ["sev4"] + [c["severity"] for c in changes]
    assert [c["previous"] for c in changes] == chain[:-1]
    final = workspace.services.incidents.get(incident.id)
    assert final.severity == chain[-1]
    assert final.version == 1 + len(notes) + len(changes)
