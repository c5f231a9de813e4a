"""Prometheus metrics of one server instance (each app gets its own registry, so several servers can
run in one process, as in tests and in the agent's embedded server)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    """Open connections, live sessions, and messages by type and outcome."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "dartcam_open_connections", "Open WebSocket connections", registry=self.registry
        )
        self.sessions = Gauge("dartcam_live_sessions", "Live pairing sessions", registry=self.registry)
        self.messages = Counter(
            "dartcam_messages",
            "Messages by type and outcome (relayed, queued, expired, rejected)",
            ["type", "outcome"],
            registry=self.registry,
        )

    def count(self, type_: str, outcome: str) -> None:
        """Counts one message."""
        self.messages.labels(type=type_[:32], outcome=outcome).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
