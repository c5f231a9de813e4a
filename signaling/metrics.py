"""Prometheus metrics of one server instance (each app gets its own registry, so several servers can
run in one process, as in tests and in the agent's embedded server)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from signaling.protocol import MsgType

KNOWN_TYPES = frozenset({*(t.value for t in MsgType), "session"})


class MessageCounts(Collector):
    """Messages by type and outcome. Counted in a plain dict and turned into a metric only when
    scraped: counting is on the relay's hot path, scraping is not."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "dartcam_messages",
            "Messages by type and outcome (relayed, queued, expired, rejected)",
            labels=["type", "outcome"],
        )
        for (type_, outcome), count in sorted(self.counts.items()):
            family.add_metric([type_, outcome], count)
        yield family


class Metrics:
    """Open connections, live sessions, and messages by type and outcome."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "dartcam_open_connections", "Open WebSocket connections", registry=self.registry
        )
        self.sessions = Gauge("dartcam_live_sessions", "Live pairing sessions", registry=self.registry)
        self.messages = MessageCounts()
        self.registry.register(self.messages)

    def count(self, type_: str, outcome: str) -> None:
        """Counts one message; types outside the catalogue count as "unknown" (bounded labels)."""
        self.messages.counts[(type_ if type_ in KNOWN_TYPES else "unknown", outcome)] += 1

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
