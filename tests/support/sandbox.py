"""The AWS sandbox for end-to-end tests: one moto server per test module (starting it costs
seconds), emptied and seeded with the shipped estate before each test, as the local
workspace seeds it. Import both fixtures into the test module that needs them."""

from __future__ import annotations

import os
import urllib.request

import pytest

from aws import sandbox as aws_sandbox
from composition.sandbox import ESTATE


@pytest.fixture(scope="module")
def running_sandbox():
    server = aws_sandbox.SandboxServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandboxed(running_sandbox, aws_env, monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_DEFAULT_REGION", "NO_PROXY"):
        monkeypatch.setenv(name, os.environ.get(name, "x"))
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        urllib.request.Request(f"{running_sandbox.endpoint}/moto-api/reset", method="POST"), timeout=10)
    inventory = aws_sandbox.seed(running_sandbox.endpoint, aws_sandbox.load_estate(ESTATE))
    return aws_sandbox.Sandbox(running_sandbox, inventory)  # the root sends every AWS call there
