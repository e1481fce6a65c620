"""Prometheus metrics Tocsin exports at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# The *_created series double every metric's output and nobody graphs them.
disable_created_metrics()

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """One set of metrics per application instance (tests build several side by side)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.alerts_received = Counter(
            "tocsin_alerts_received",
            "Alert events received, by integration kind and what they did.",
            ["integration_kind", "outcome"],
            registry=self.registry,
        )
        self.requests_rejected = Counter(
            "tocsin_ingest_requests_rejected",
            "Ingest requests rejected, by integration kind and HTTP status.",
            ["integration_kind", "status"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "tocsin_http_request_duration_seconds",
            "HTTP request latency by route and status code.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.db_commit_latency = Histogram(
            "tocsin_db_commit_duration_seconds",
            "Time to apply and commit one group-commit batch.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.db_commit_batch = Histogram(
            "tocsin_db_commit_batch_requests",
            "Requests committed together in one group-commit transaction.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )

    def observe_commit(self, seconds: float, batch: int) -> None:
        self.db_commit_latency.observe(seconds)
        self.db_commit_batch.observe(batch)
