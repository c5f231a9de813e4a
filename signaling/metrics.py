"""Prometheus metrics of one server instance (each app gets its own registry, so several servers can
run in one process, as in tests and in the agent's embedded server)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from signaling.protocol import MsgType

KNOWN_TYPES = frozenset({*(t.value for t in MsgType), "session"})


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
        self._children: dict[tuple[str, str], Counter] = {}

    def count(self, type_: str, outcome: str) -> None:
        """Counts one message; types outside the catalogue count as "unknown" (bounded labels)."""
        key = (type_ if type_ in KNOWN_TYPES else "unknown", outcome)
        child = self._children.get(key)
        if child is None:
            # labels() costs more than the increment itself: keep the few children.
            child = self._children[key] = self.messages.labels(type=key[0], outcome=outcome)
        child.inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
