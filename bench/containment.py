"""How long from an Approve click to a contained instance, next to the bare boto3 calls?

Starts a moto server on loopback in a process of its own, as AWS is a service of its own
(AWS_ENDPOINT_URL points boto3 at it, as in production code paths; in the bot's process it
shared the bot's GIL, so reads the bot runs concurrently ran slower than one after the
other), and the real bot (LocalWorkspace: fake Slack, waitress, a fresh SQLite
database unless --database-url is given). For each round it launches an instance, asks
`/contain isolate-instance`, clicks Approve as a second user, and times click → request
succeeded (approval under the row lock, claim, every AWS call of apply and verify, each
recorded in the audit chain, the card updated). The floor: the same isolation done with
bare boto3 calls in the same run (describe, create the groups, move the ENI through the
pass-through group into isolation, termination protection, tag, then the three verification
reads: the ENIs' groups, the isolation group's rules, termination protection), one after the
other — no approval, no audit, no Auto Scaling or target-group checks. Their ratio is the
price of the guarantees. Figures are medians over the
rounds, from one machine; compare, don't quote.

    python bench/containment.py [--rounds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402
from sqlalchemy import text  # noqa: E402

from core.settings import load_settings  # noqa: E402
from composition import local_workspace  # noqa: E402
from store import migrate  # noqa: E402
from store.db import Database  # noqa: E402

REGION = "us-east-1"


def aws_env(endpoint: str) -> None:
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "NO_PROXY": "127.0.0.1"})
    os.environ.pop("AWS_PROFILE", None)


def launch(ec2, vpc: str, subnet: str, group: str) -> str:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group]}]
                             )["Instances"][0]["InstanceId"]


def bare_isolation(ec2, instance_id: str, vpc: str, n: int) -> float:
    """The same AWS work as isolate-instance's apply, with nothing around it."""
    started = time.perf_counter()
    found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    enis = [e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]]
    isolation = ec2.create_security_group(GroupName=f"bare-isolation-{n}", Description="b", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=isolation, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    passing = ec2.create_security_group(GroupName=f"bare-pass-{n}", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=passing, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": True})
    for eni in enis:
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=[passing])
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=[isolation])
    ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "firebreak:incident", "Value": "1"}])
    # the verification reads (issue 12's floor: mutation calls + verification reads)
    ec2.describe_network_interfaces(NetworkInterfaceIds=enis)
    ec2.describe_security_groups(GroupIds=[isolation])
    ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="disableApiTermination")
    return time.perf_counter() - started


def moto_server() -> tuple[subprocess.Popen, str]:
    """`python -m moto.server` on a free loopback port; returns once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start in 60 s")


def wait(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.002)
    raise SystemExit("timed out waiting for the bot")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    server, endpoint = moto_server()
    aws_env(endpoint)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if args.database_url:  # PostgreSQL: migrated first, as the other benches do
            database = Database(url)
            migrate.upgrade(database)
            database.dispose()
        settings = load_settings(environ={"DATABASE_URL": url})
        ws = local_workspace(settings, threads=8)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
        try:
            return run(ws, args.rounds)
        finally:
            ws.stop()
            server.terminate()
            server.wait(30)


def state_of(ws, request_id: int) -> str:
    """One small query: the bench polls every 2 ms in the bot's process, and must not slow it."""
    with ws.services.db.engine.connect() as conn:
        return conn.execute(text("SELECT state FROM containment_requests WHERE id = :id"), {"id": request_id}).scalar()


def run(ws, rounds: int) -> int:
    from core.containment.flow import store

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    alice, bob = ws.user("alice"), ws.user("bob")
    ws.sender.command("/incident", "declare sev2 Benchmark", user=alice, channel=ws.channel("general"))
    incident = wait(lambda: next((i for i in ws.services.incidents.recent() if i.channel_id), None))
    contained, bare = [], []
    for n in range(rounds + 1):  # round 0 warms up clients, models and the isolation groups
        instance_id = launch(ec2, vpc, subnet, group)
        ws.sender.command("/contain", f"isolate-instance {instance_id}", user=alice, channel=incident.channel_id)
        request = wait(lambda: next((r for r in store(ws.services).for_incident(incident.id)
                                     if r.target == instance_id and r.message_ts), None))
        started = time.perf_counter()
        ws.sender.block_action(user=bob, channel=incident.channel_id, value=str(request.id),
                               action_id="contain_approve")
        wait(lambda: state_of(ws, request.id) not in ("requested", "approved", "executing"))
        elapsed = time.perf_counter() - started
        done = store(ws.services).get(request.id)
        if done.state != "succeeded":
            raise SystemExit(f"request {done.label} ended {done.state}: {done.error}")
        other = launch(ec2, vpc, subnet, group)
        if n:
            contained.append(elapsed)
            bare.append(bare_isolation(ec2, other, vpc, n))
    firebreak, floor = statistics.median(contained) * 1000, statistics.median(bare) * 1000
    print(f"isolate-instance over {rounds} rounds against moto_server (medians)")
    print(f"  approve click -> contained and verified (Firebreak): {firebreak:8.1f} ms")
    print(f"  bare boto3 calls of the same isolation + verification: {floor:8.1f} ms")
    print(f"  ratio: {firebreak / floor:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
