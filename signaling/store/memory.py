"""The in-process store: one server instance, state in dicts. An asyncio event loop runs one
coroutine at a time and these methods never await, so each call is atomic."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from signaling.protocol import Role
from signaling.session import PairingSession
from signaling.store.base import Pushed, QueueFull

T = TypeVar("T")


class MemoryStore:
    """SessionStore backed by this process's memory. Tombstones and counters expire on `clock`
    (seconds; time.monotonic unless a test brings its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sessions: dict[str, PairingSession] = {}
        self._queues: dict[tuple[str, Role], deque[dict[str, Any]]] = {}
        self._seq: dict[tuple[str, Role], int] = {}
        self._tombstones: dict[str, float] = {}
        self._hits: dict[str, tuple[float, int]] = {}

    async def create(self, session: PairingSession) -> bool:
        if session.code in self._sessions:
            return False
        self._sessions[session.code] = session
        self._tombstones.pop(session.code, None)
        return True

    async def get(self, code: str) -> PairingSession | None:
        return self._sessions.get(code)

    async def get_many(self, codes: list[str]) -> list[PairingSession | None]:
        return [self._sessions.get(code) for code in codes]

    async def update(self, code: str, fn: Callable[[PairingSession], T]) -> T | None:
        session = self._sessions.get(code)
        if session is None:
            return None
        # fn mutates a copy so that an exception leaves the stored session as it was.
        draft = PairingSession.from_dict(session.to_dict())
        result = fn(draft)
        self._sessions[code] = draft
        return result

    async def end(self, code: str, tombstone_ttl: float) -> None:
        self._sessions.pop(code, None)
        for role in Role:
            self._queues.pop((code, role), None)
            self._seq.pop((code, role), None)
        now = self.clock()
        self._tombstones[code] = now + tombstone_ttl
        # Forget old tombstones here rather than in a job of their own.
        for old in [c for c, until in self._tombstones.items() if until < now]:
            del self._tombstones[old]

    async def ended(self, code: str) -> bool:
        until = self._tombstones.get(code)
        return until is not None and until >= self.clock()

    async def codes(self) -> list[str]:
        return list(self._sessions)

    async def push(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        queue = self._queues.setdefault((code, role), deque())
        if len(queue) >= limit:
            raise QueueFull(f"{len(queue)} messages are already waiting for the {role}")
        seq = self._seq.get((code, role), 0) + 1
        self._seq[(code, role)] = seq
        queue.append({"seq": seq, **message})
        session = self._sessions.get(code)
        return Pushed(seq, session.slot(role).conn_id if session else None)

    async def pass_through(self, code: str, role: Role, conn_id: str) -> Pushed | None:
        session = self._sessions.get(code)
        if session is None or session.slot(role).conn_id != conn_id or self._queues.get((code, role)):
            return None
        seq = self._seq.get((code, role), 0) + 1
        self._seq[(code, role)] = seq
        return Pushed(seq, conn_id)

    async def pop_all(self, code: str, role: Role) -> list[dict[str, Any]]:
        queue = self._queues.get((code, role))
        if not queue:
            return []
        items = list(queue)
        queue.clear()
        return items

    async def requeue(self, code: str, role: Role, messages: list[dict[str, Any]]) -> None:
        if code in self._sessions:
            self._queues.setdefault((code, role), deque()).extendleft(reversed(messages))

    async def unacked(self, code: str, role: Role, after: int) -> list[dict[str, Any]]:
        return [m for m in self._queues.get((code, role), ()) if m["seq"] > after]

    async def ack(self, code: str, role: Role, seq: int) -> None:
        queue = self._queues.get((code, role))
        while queue and queue[0]["seq"] <= seq:
            queue.popleft()

    async def hit(self, key: str, limit: int, window: float, peek: bool = False) -> bool:
        now = self.clock()
        start, count = self._hits.get(key, (now, 0))
        if now - start > window:
            start, count = now, 0
        if peek:
            return count < limit
        self._hits[key] = (start, count + 1)
        if len(self._hits) > 10_000:
            self._hits = {k: v for k, v in self._hits.items() if now - v[0] <= window}
        return count + 1 <= limit

    async def try_lock(self, name: str, seconds: float) -> bool:
        return True  # one instance: nobody to share periodic jobs with

    async def close(self) -> None:
        self._sessions.clear()
        self._queues.clear()
