"""The AWS sandbox wired without the environment: the root hands its endpoint and credentials
to the session factory (aws/sessions.AwsEndpoint), every client goes there with them and no
proxy, and the sandbox guard says drills may act there; a process pointed at a sandbox by
AWS_ENDPOINT_URL (the user's `bot.py sandbox` instructions) is recognised as before."""

from __future__ import annotations

from types import SimpleNamespace

from aws.sandbox import DUMMY_CREDENTIALS, Inventory, SandboxGuard
from aws.sessions import AwsEndpoint, AwsSessions

AWS = SimpleNamespace(default_region="us-east-1", retry_mode="standard", max_attempts=2)
SANDBOX = "http://127.0.0.1:5999"
CHOSEN = AwsEndpoint(SANDBOX, DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"], DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def test_a_chosen_endpoint_takes_every_client_there_with_its_credentials_and_no_proxy(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://elsewhere.invalid")  # the user's chain is overruled only here
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    sessions = AwsSessions(AWS, endpoint=CHOSEN)
    for service in ("ec2", "s3", "sts"):
        client = sessions.client(service)
        assert client.meta.endpoint_url == SANDBOX
        assert client._request_signer._credentials.get_frozen_credentials().access_key == "sandbox"
        assert client.meta.config.proxies == {}
    assert "top-secret" not in repr(AwsEndpoint(SANDBOX, "sandbox", "top-secret"))  # never logged by accident


def test_without_a_chosen_endpoint_boto3s_chain_decides(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    client = AwsSessions(AWS).client("ec2")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566" and client.meta.config.proxies is None


def test_the_guard_knows_the_sandbox_the_root_chose_and_the_one_the_environment_names(monkeypatch):
    inventory = Inventory(SANDBOX, "us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert SandboxGuard(inventory, CHOSEN).not_in_use() is None  # nothing in the environment needed
    elsewhere = AwsEndpoint("http://127.0.0.1:1", "sandbox", "x")
    assert "not to the sandbox" in SandboxGuard(inventory, elsewhere).not_in_use()
    assert "not the sandbox's" in SandboxGuard(inventory, AwsEndpoint(SANDBOX, "AKIAREAL", "x")).not_in_use()
    assert "not to the sandbox" in SandboxGuard(inventory).not_in_use()  # the chain goes to AWS itself
    monkeypatch.setenv("AWS_ENDPOINT_URL", SANDBOX)
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    assert SandboxGuard(inventory).not_in_use() is None
