"""Shared helpers for findings tests: fixtures in the real formats, findings with varied ids,
and settings tuned for tests (no pacing delay unless a test measures pacing)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from core.findings.config import DigestConfig, QueueConfig, Route
from core.findings.model import Finding
from core.findings.normalize import normalize_text
from core.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "core" / "findings" / "fixtures"


def fixture_text(relative: str) -> str:
    return (FIXTURES / relative).read_text(encoding="utf-8")


def fixture_findings(relative: str) -> list[Finding]:
    result = normalize_text(fixture_text(relative))
    assert result.findings, result.rejected
    return result.findings


def finding(**overrides) -> Finding:
    """A GuardDuty-shaped finding; override what the test is about."""
    values = dict(id="f-1", source="guardduty", product="guardduty", type="Recon:EC2/PortProbeUnprotectedPort",
                  title="Unprotected port on EC2 instance i-0abc is being probed", severity="medium",
                  severity_score=50.0, account="123456789012", region="us-east-1",
                  resources=[{"type": "AwsEc2Instance", "id": "i-0abc"}],
                  indicators={"ip": ["198.51.100.7"], "domain": [], "access_key_id": [], "principal": [],
                              "instance_id": ["i-0abc"]},
                  first_seen="2026-01-01T00:00:00.000Z", last_seen="2026-01-01T00:00:00.000Z", count=1,
                  raw_format="guardduty", updated_at="2026-01-01T00:00:00.000Z",
                  raw={"arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d0e1f2/finding/f-1"}, tags={})
    values.update(overrides)
    return Finding(**values)


def tuned(settings: Settings, *, routes: list[dict] | None = None, after: int = 5, pace: float = 0.0,
          responders: list[str] | None = None, queue: QueueConfig | None = None, **digest) -> Settings:
    cfg = settings.config
    findings = cfg.findings.model_copy(update={
        "digest": DigestConfig(after=after, pace_seconds=pace, **digest),
        **({"routes": [Route.model_validate(r) for r in routes]} if routes is not None else {}),
        **({"queue": queue} if queue is not None else {})})
    update = {"findings": findings}
    if responders is not None:
        update["access"] = cfg.access.model_copy(update={"responders": responders})
    return dataclasses.replace(settings, config=cfg.model_copy(update=update))


def unpaced(settings: Settings) -> Settings:
    """The settings as they are, but finding messages not paced and Slack's method tiers not
    kept (on PostgreSQL): for tests where pacing is not the subject (test_triage_storm.py,
    test_budget_storm.py and test_slack_budget.py test it), so they do not wait a second per
    message of a channel, nor a minute after their 50th chat.update."""
    findings = settings.config.findings
    digest = findings.digest.model_copy(update={"pace_seconds": 0.0})
    slack = settings.config.slack.model_copy(update={"method_tiers": False})
    config = settings.config.model_copy(update={"findings": findings.model_copy(update={"digest": digest}),
                                                "slack": slack})
    return dataclasses.replace(settings, config=config)


def as_json(document) -> str:
    return json.dumps(document)
