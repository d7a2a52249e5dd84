"""Reusable AWS test fixtures: fake credentials, in-process moto, and a real moto server.

Import the fixtures into a folder's conftest.py (`from tests.support.aws import ...`),
or register this module once with `pytest_plugins` in the root conftest so every
folder shares one server. `moto_endpoint` exercises the same path production uses:
boto3 reads AWS_ENDPOINT_URL itself and talks HTTP, nothing is patched.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest

from aws import moto_double

# moto as the sandbox runs it (aws/moto_double.py): a small AMI set, read when moto is first
# imported (so before these imports), and Athena's rest-json paths routed.
moto_double.environment(os.environ)
moto_double.route_athena_rest_json()

from moto import mock_aws  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import boto3  # noqa: E402
from aws.sessions import new_session  # noqa: E402

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
# Anything that could redirect boto3 to a real account, a profile or a remote endpoint.
_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MOTO_ACCOUNT_ID",
)


@pytest.fixture
def aws_env(monkeypatch, tmp_path) -> dict[str, str]:
    """Fake credentials in us-east-1, isolated from the developer's ~/.aws and real endpoints."""
    for name in list(os.environ):
        if name in _CLEARED or name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    env = {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config-absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials-absent"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no slow IMDS probe when creds are removed
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # boto3.client(...) in a test: a fresh default session (these credentials), reading service
    # models through the process's shared loader instead of parsing them again for each test.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", new_session())
    return env


@pytest.fixture
def moto_inprocess(aws_env) -> Iterator[None]:
    """moto patched into botocore in this process; state is fresh per test."""
    with mock_aws():
        boto3.DEFAULT_SESSION = new_session()  # moto set it to None; it restores it when it stops
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server for the session on 127.0.0.1 (port 0: the OS picks a free one).

    Yields its URL. Tests normally want `moto_endpoint`, which also points boto3 at it.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(moto_server, aws_env, monkeypatch) -> str:
    """Point boto3 at the moto server via AWS_ENDPOINT_URL, starting from empty state."""
    for name in ("NO_PROXY", "no_proxy"):  # a developer's HTTP proxy must not catch 127.0.0.1
        monkeypatch.setenv(name, ",".join(filter(None, [os.environ.get(name), "127.0.0.1"])))
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, f"moto reset failed: HTTP {response.status}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server
