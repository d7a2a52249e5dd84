"""AWS fixtures for this folder; they live in tests/aws/harness.py so others can reuse them."""

from tests.aws.harness import aws_env, moto_endpoint, moto_inprocess, moto_server  # noqa: F401
