"""The per-socket token bucket on a clock the test moves."""

from __future__ import annotations

from signaling.ratelimit import TokenBucket
from tests.signaling.conftest import ManualClock


def test_burst_then_the_rate() -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    clock.advance(0.25)  # half a token
    assert not bucket.allow()
    clock.advance(0.25)
    assert bucket.allow() and not bucket.allow()
    clock.advance(100.0)  # a long pause refills only up to the burst
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
