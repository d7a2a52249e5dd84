"""What core and the adapters count about themselves (requests, refusals, errors, domain
events), as a port: web/metrics.py implements it on prometheus_client and serves it on
/metrics. The shapes are prometheus_client's (`labels(...)` then `inc()`/`observe()`), so
its metrics fit as they are and a null object fits as easily."""

from __future__ import annotations

from typing import Protocol


class Count(Protocol):
    def labels(self, **labels: str) -> "Count": ...

    def inc(self, amount: float = 1) -> None: ...


class Timing(Protocol):
    def labels(self, **labels: str) -> "Timing": ...

    def observe(self, amount: float) -> None: ...


class Telemetry(Protocol):
    http_requests: Count  # by path and status
    http_latency: Timing  # seconds to answer, by path
    slack_requests: Count  # verified Slack requests by kind
    rejected_requests: Count  # refused before handling, by reason
    duplicate_requests: Count  # Slack retries acknowledged without running again
    errors: Count  # errors shown to users, by kind
    domain_events: Count  # domain events published, by event (composition/events.py counts them)

    def exposition(self) -> bytes:
        """Everything counted, in Prometheus' text format."""
