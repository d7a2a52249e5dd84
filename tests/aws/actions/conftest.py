"""A catalog over in-process moto, and a helper that plans, applies and undoes a job."""

from types import SimpleNamespace

import pytest

from aws.actions.registry import AwsCatalog
from aws.sessions import AwsSessions
from core.containment.catalog import Job
from core.containment.config import ContainmentConfig

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
def runner(moto_inprocess):
    return Runner()
