"""MemoryStore on its own, on a clock the test moves: sessions, queues, tombstones, counters."""

from __future__ import annotations

import pytest

from signaling.protocol import Role
from signaling.session import PairingSession
from signaling.store import MemoryStore, QueueFull
from tests.signaling.conftest import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> MemoryStore:
    return MemoryStore(clock)


async def test_a_code_is_created_once(store: MemoryStore) -> None:
    assert await store.create(PairingSession(code="ABCDEF", expires_at=1.0))
    assert not await store.create(PairingSession(code="ABCDEF", expires_at=2.0))
    assert (await store.get("ABCDEF")).expires_at == 1.0
    assert await store.get_many(["ABCDEF", "NOPE"]) == [await store.get("ABCDEF"), None]
    assert await store.codes() == ["ABCDEF"]


async def test_update_is_all_or_nothing(store: MemoryStore) -> None:
    await store.create(PairingSession(code="ABCDEF", expires_at=1.0))

    def half_then_fail(s: PairingSession) -> None:
        s.phone.token = "p"
        raise RuntimeError("halfway")

    with pytest.raises(RuntimeError):
        await store.update("ABCDEF", half_then_fail)
    assert (await store.get("ABCDEF")).phone.token is None
    assert await store.update("ABCDEF", lambda s: setattr(s.phone, "token", "p") or "done") == "done"
    assert (await store.get("ABCDEF")).phone.token == "p"
    assert await store.update("NOPE", lambda s: "called") is None


async def test_queue_numbers_in_order_refuses_past_limit_requeues_in_front(
    store: MemoryStore,
) -> None:
    session = PairingSession(code="ABCDEF", expires_at=1.0)
    session.phone.conn_id = "i-2"
    await store.create(session)
    pushed = [await store.push("ABCDEF", Role.PHONE, {"n": n}, limit=3) for n in range(3)]
    assert [p.seq for p in pushed] == [1, 2, 3] and {p.conn_id for p in pushed} == {"i-2"}
    with pytest.raises(QueueFull):
        await store.push("ABCDEF", Role.PHONE, {"n": 3}, limit=3)
    assert await store.pop_all("ABCDEF", Role.DESKTOP) == []
    # Each comes back with its number in `seq` (first).
    assert await store.pop_all("ABCDEF", Role.PHONE) == [
        {"seq": 1, "n": 0},
        {"seq": 2, "n": 1},
        {"seq": 3, "n": 2},
    ]
    assert await store.pop_all("ABCDEF", Role.PHONE) == []
    await store.push("ABCDEF", Role.PHONE, {"n": 5}, limit=3)
    await store.requeue("ABCDEF", Role.PHONE, [{"seq": 2, "n": 3}, {"seq": 3, "n": 4}])
    assert await store.pop_all("ABCDEF", Role.PHONE) == [
        {"seq": 2, "n": 3},
        {"seq": 3, "n": 4},
        {"seq": 4, "n": 5},
    ]
    assert (await store.push("ABCDEF", Role.PHONE, {}, limit=3)).seq == 5  # numbering goes on


async def test_an_ended_code_is_remembered_until_its_tombstone_expires(
    store: MemoryStore, clock: ManualClock
) -> None:
    await store.create(PairingSession(code="ABCDEF", expires_at=1.0))
    await store.push("ABCDEF", Role.PHONE, {"n": 1}, limit=3)
    await store.end("ABCDEF", tombstone_ttl=10.0)
    assert await store.get("ABCDEF") is None and await store.ended("ABCDEF")
    assert await store.pop_all("ABCDEF", Role.PHONE) == []
    await store.requeue("ABCDEF", Role.PHONE, [{"n": 1}])  # no session: nothing comes back
    assert await store.pop_all("ABCDEF", Role.PHONE) == []
    clock.advance(10.5)
    assert not await store.ended("ABCDEF")
    assert not await store.ended("NEVER1")


async def test_hits_count_within_their_window(store: MemoryStore, clock: ManualClock) -> None:
    assert [await store.hit("k", limit=2, window=60.0) for _ in range(3)] == [True, True, False]
    assert not await store.hit("k", limit=2, window=60.0, peek=True)
    assert await store.hit("other", limit=2, window=60.0, peek=True)
    clock.advance(61.0)
    assert await store.hit("k", limit=2, window=60.0, peek=True)  # peeking does not count
    assert await store.hit("k", limit=2, window=60.0) and await store.hit("k", limit=2, window=60.0)
    assert not await store.hit("k", limit=2, window=60.0)
    assert await store.try_lock("sweep", 1.0)
