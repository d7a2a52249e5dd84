"""A catalog over in-process moto, and a helper that plans, applies and undoes a job."""

import json
from types import SimpleNamespace

import boto3
import moto.iam.models
import pytest
from moto import mock_aws
from moto.iam.aws_managed_policies import aws_managed_policies_data

from aws.actions.registry import AwsCatalog
from aws.sessions import AwsSessions, new_session
from core.containment.catalog import Job
from core.containment.config import ContainmentConfig

# moto ships AWS's managed policies (their real documents) but loads them only when asked;
# all ~1,000 cost a second per test, so these tests load the few they use.
MANAGED = ("AWSDenyAll", "AdministratorAccess")
_SHIPPED = json.loads(aws_managed_policies_data)
AWS = SimpleNamespace(default_region="us-east-1", retry_mode="standard", max_attempts=2)


class Runner:
    def __init__(self, config: ContainmentConfig | None = None):
        self.catalog = AwsCatalog(AwsSessions(AWS), config or ContainmentConfig())
        self.calls: list[dict] = []

    def job(self, action, target, **options):
        return Job(action, target, options, None, "us-east-1", 7, request_id=3)

    def plan(self, job):
        return self.catalog.plan(job, self.calls.append)

    def apply(self, job):
        outcome = self.catalog.apply(job, self.calls.append)
        assert outcome.verified, outcome.checks
        return outcome

    def undo(self, job, outcome):
        undo = Job(job.action, job.target, job.options, None, job.region, job.incident_id, 4, undo=True,
                   memory=outcome.memory)
        plan = self.plan(undo)
        return plan, self.apply(undo)


@pytest.fixture
def moto_inprocess(aws_env, monkeypatch):
    """In-process moto with AWS's managed policies loaded (moto leaves them out unless
    asked): quarantine attaches arn:aws:iam::aws:policy/AWSDenyAll."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setattr(moto.iam.models, "aws_managed_policies_data", json.dumps({n: _SHIPPED[n] for n in MANAGED}))
    with mock_aws():
        boto3.DEFAULT_SESSION = new_session()  # the shared model reader (tests/support/aws.py)
        yield


@pytest.fixture
def runner(moto_inprocess):
    return Runner()
