"""The Telemetry port (core/telemetry.py) on prometheus_client: one registry per process
(per Services), so tests can build many; `/metrics` serves its exposition (web/app.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class PrometheusTelemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter("firebreak_http_requests", "HTTP requests served",
                                     ["path", "status"], registry=self.registry)
        self.http_latency = Histogram("firebreak_http_request_seconds", "Time to answer an HTTP request",
                                      ["path"], registry=self.registry,
                                      buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3, 5))
        self.slack_requests = Counter("firebreak_slack_requests", "Verified Slack requests by kind",
                                      ["kind"], registry=self.registry)
        self.rejected_requests = Counter("firebreak_rejected_requests", "Requests refused before handling",
                                         ["reason"], registry=self.registry)
        self.duplicate_requests = Counter("firebreak_duplicate_requests",
                                          "Slack retries/replays acknowledged without re-running",
                                          registry=self.registry)
        self.errors = Counter("firebreak_errors", "Errors shown to users, by kind",
                              ["kind"], registry=self.registry)
        self.domain_events = Counter("firebreak_domain_events", "Domain events published, by kind",
                                     ["event"], registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
