"""Issue 23 item 1, race-safe: the same /contain typed at the same moment twenty times over
two bot processes (one database, one moto server) files exactly one request; every other
one is told which request covers it. The database decides (a unique cover key), so this
holds on SQLite and on PostgreSQL (DATABASE_URL)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.containment import declare, instance, requests
from tests.support.slack import eventually, second_replica as start_replica

pytestmark = pytest.mark.slow
SENDS = 20


@pytest.fixture
def second_replica(workspace, moto_endpoint):
    with start_replica(workspace) as sender:
        yield sender


def test_twenty_identical_requests_on_two_replicas_file_one(moto_endpoint, workspace, second_replica):
    instance_id, _, _, _ = instance()
    incident = declare(workspace)
    replicas = [workspace.sender, second_replica]
    answered = len(workspace.fake.calls_to("response_url"))

    def request(n):
        return replicas[n % 2].command("/contain", f"isolate-instance {instance_id}",
                                       user=workspace.user("alice" if n % 3 else "carol"),
                                       channel=incident.channel_id).status

    with ThreadPoolExecutor(SENDS) as pool:
        assert set(pool.map(request, range(SENDS))) == {200}
    refusals = eventually(lambda: len(found := workspace.fake.calls_to("response_url")[answered:]) >= SENDS - 1
                          and found, timeout=60)
    [filed] = eventually(lambda: (found := requests(workspace)) and found[0].message_ts and found, timeout=30)
    assert (filed.action, filed.target, filed.state) == ("isolate-instance", instance_id, "requested")
    assert len(requests(workspace)) == 1
    assert all(f"C{filed.id} in incident {incident.label} already covers isolate-instance" in json.dumps(c.body)
               for c in refusals)
