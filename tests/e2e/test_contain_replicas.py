"""50 simultaneous Approve clicks spread over two bot processes (sharing one database and
one moto server): the action runs exactly once, and every other click is told why not."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from store.audit.repository import SqlAuditRepository
from tests.support.containment import declare, eni_groups, instance, requests
from tests.support.slack import eventually, second_replica as start_replica

pytestmark = pytest.mark.slow
CLICKS = 50


@pytest.fixture
def second_replica(workspace, moto_endpoint):
    with start_replica(workspace) as sender:
        yield sender


def test_fifty_approvals_on_two_replicas_run_the_action_once(moto_endpoint, workspace, second_replica):
    instance_id, _, _, _ = instance()
    incident = declare(workspace)
    workspace.sender.command("/contain", f"isolate-instance {instance_id}", user=workspace.user("alice"),
                             channel=incident.channel_id)
    request = eventually(lambda: (found := requests(workspace)) and found[0].message_ts and found[0], timeout=20)
    replicas, bob = [workspace.sender, second_replica], workspace.user("bob")
    answered = len(workspace.fake.calls_to("response_url"))

    def approve(n):
        return replicas[n % 2].block_action(user=bob, channel=incident.channel_id, value=str(request.id),
                                            action_id="contain_approve").status

    with ThreadPoolExecutor(CLICKS) as pool:
        assert set(pool.map(approve, range(CLICKS))) == {200}
    eventually(lambda: (r := requests(workspace)[0]).state == "succeeded" and r, timeout=30)
    refusals = eventually(lambda: len(found := workspace.fake.calls_to("response_url")[answered:]) >= CLICKS - 1
                          and found, timeout=30)
    time.sleep(1)  # anything still in flight would show up now
    assert len(workspace.fake.calls_to("response_url")[answered:]) == CLICKS - 1
    assert all("already" in json.dumps(c.body) for c in refusals)
    events = [e["event"] for e in SqlAuditRepository(workspace.services.db).for_request(request.id)]
    assert events.count("approved") == events.count("executing") == events.count("succeeded") == 1
    moves = [e for e in SqlAuditRepository(workspace.services.db).for_request(request.id)
             if e.get("call") == "ec2:ModifyNetworkInterfaceAttribute"]
    assert len(moves) == 2, "one ENI, moved once through the pass-through group and once into isolation"
    assert len(list(eni_groups(instance_id).values())[0]) == 1
