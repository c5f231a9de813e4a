"""Reconnect back-off, written once for the agent's signaling client and the simulated phone."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delays that double from `initial` up to `maximum`, each times a random factor within ±`jitter`
    (many clients must not reconnect in lockstep)."""

    initial: float
    maximum: float
    jitter: float = 0.2

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first)."""
        base = min(self.maximum, self.initial * 2 ** max(0, attempt - 1))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else base
