"""Garbage-collector settings for a process that holds many sockets and must answer within a few
milliseconds. With a thousand sockets open, Python's default settings ran a full collection every few
seconds, each walking ~130,000 objects and holding the event loop for 50-80 ms: the relay's p99."""

from __future__ import annotations

import gc

# A larger first generation lets the objects of a relayed message die before a collection promotes
# them; the older generations are then collected rarely, since long-lived socket state seldom dies.
THRESHOLDS = (10_000, 50, 100)


def tune_gc() -> None:
    """Freezes what exists now (modules, the app) out of every collection and sets THRESHOLDS; call
    it once start-up is done."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
