"""The interface every session store implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from signaling.protocol import Role
from signaling.session import PairingSession

T = TypeVar("T")


@dataclass(frozen=True)
class Pushed:
    """A queued message's sequence number, and the connection that held the role right after the
    push (None: no socket holds it). Reading the binding after the push matters: a resume that binds
    later flushes the message itself."""

    seq: int
    conn_id: str | None


class QueueFull(Exception):
    """A role's queue holds as many messages as it may."""


class StoreUnavailable(Exception):
    """The backing store cannot be reached (Redis down)."""


class SessionStore(Protocol):
    """Sessions, per-role message queues with sequence numbers, tombstones of ended codes, and counters.
    `update` is atomic: no other update of the same session runs between its read and its write.
    A queued message is stored and returned with its sequence number in its `seq` field (first); the
    hub strips it for a client that does not acknowledge. For a role that does (the `ack` extension)
    the queue holds every message not yet acknowledged: `unacked` reads it without taking anything,
    `ack` drops the acknowledged head."""

    async def create(self, session: PairingSession) -> bool:
        """Stores a new session; False if the code is taken."""
        ...

    async def get(self, code: str) -> PairingSession | None:
        """The session of a code, or None."""
        ...

    async def get_many(self, codes: list[str]) -> list[PairingSession | None]:
        """The sessions of several codes, in order (one round trip on Redis)."""
        ...

    async def update(self, code: str, fn: Callable[[PairingSession], T]) -> T | None:
        """Applies fn to the session and stores the result; None (fn not called) if there is none.
        An exception raised by fn leaves the session unchanged."""
        ...

    async def end(self, code: str, tombstone_ttl: float) -> None:
        """Deletes a session and its queues, remembering for a while that the code existed."""
        ...

    async def ended(self, code: str) -> bool:
        """True if the code belonged to a session that ended (expired or swept) not long ago."""
        ...

    async def codes(self) -> list[str]:
        """Every live code (for the sweeper)."""
        ...

    async def push(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        """Appends a message to a role's queue; QueueFull past limit."""
        ...

    async def pass_through(self, code: str, role: Role, conn_id: str) -> Pushed | None:
        """Numbers a message that goes straight to conn_id instead of the role's queue, if the queue
        is empty and conn_id holds the role (atomically); else None, and nothing changes."""
        ...

    async def pop_all(self, code: str, role: Role) -> list[dict[str, Any]]:
        """Removes and returns a role's queued messages, in order."""
        ...

    async def requeue(self, code: str, role: Role, messages: list[dict[str, Any]]) -> None:
        """Puts undelivered messages back at the front of a role's queue."""
        ...

    async def unacked(self, code: str, role: Role, after: int) -> list[dict[str, Any]]:
        """A role's queued messages numbered above `after`, in order, left in the queue."""
        ...

    async def ack(self, code: str, role: Role, seq: int) -> None:
        """Drops a role's queued messages numbered up to `seq` (a cumulative acknowledgement)."""
        ...

    async def hit(self, key: str, limit: int, window: float, peek: bool = False) -> bool:
        """Counts one event for key (only looks with peek); False once more than limit happened within
        the window."""
        ...

    async def try_lock(self, name: str, seconds: float) -> bool:
        """Takes a named lock for some seconds unless another instance holds it (periodic jobs)."""
        ...

    async def close(self) -> None:
        """Releases the store's resources."""
        ...
