"""The connections of this instance, by id, and delivery to them. A message for a role is put in the
role's queue; delivering means flushing that queue to the role's live connection, so a message reaches
the peer or waits for it, and a resumed socket gets the waiting ones in order. The relay's direct
path skips the queue only when that changes nothing: the role's connection is open here, nothing is
being sent to it, its queue is empty and its client does not acknowledge (see `_send_direct`).

A client that acknowledges (the `ack` extension, `Client.ack`) gets every queued message with its
`seq`, and a flush leaves the messages in the queue until the client's `cam-ack` drops them: a message
written to a socket that was already dead (half-open) is sent again after the resume. The hub
remembers per connection the highest number it wrote, so one socket gets each message once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from signaling.client import Connection
from signaling.protocol import Role
from signaling.store import Pushed, SessionStore

# What the service does about a connection whose session the store lost (see Hub.report_lost).
LostHandler = Callable[[Connection, str], Awaitable[None]]


class Hub:
    """Routes messages to the live connections of this instance and wakes REST long-polls."""

    def __init__(self, instance_id: str, store: SessionStore) -> None:
        self.instance_id = instance_id
        self.store = store
        self._connections: dict[str, Connection] = {}
        self._ids = itertools.count(1)
        # One event per waiting REST long-poll, by role.
        self._waiters: dict[tuple[str, Role], set[asyncio.Event]] = defaultdict(set)
        self._on_lost: LostHandler | None = None
        # Per acknowledging connection: the highest seq written to it (a new socket starts from 0).
        self._written: dict[str, int] = {}

    def new_conn_id(self) -> str:
        """A connection id that names this instance (so other instances know where it lives)."""
        return f"{self.instance_id}-{next(self._ids)}"

    async def start(self) -> None:
        """Starts background work (none for one instance)."""

    def on_session_lost(self, handler: LostHandler) -> None:
        """Who decides what a connection whose session vanished from the store gets (the service)."""
        self._on_lost = handler

    async def report_lost(self, conn: Connection, code: str) -> None:
        """A connection's session vanished from the store without ending (a Redis that restarted
        empty); the hub only finds it, the handler decides."""
        if self._on_lost is not None:
            await self._on_lost(conn, code)

    def register(self, conn: Connection) -> None:
        self._connections[conn.id] = conn

    def unregister(self, conn: Connection) -> None:
        # The identity check keeps a closing socket from removing a replacement with the same id.
        if self._connections.get(conn.id) is conn:
            del self._connections[conn.id]
            self._written.pop(conn.id, None)

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def _is_open(self, conn_id: str) -> bool:
        conn = self._connections.get(conn_id)
        return conn is not None and not conn.closed

    async def is_live(self, conn_id: str | None) -> bool:
        """True if the connection is open (on this instance; the Redis hub also asks the others)."""
        return conn_id is not None and self._is_open(conn_id)

    async def live_among(self, conn_ids: list[str]) -> set[str]:
        """Which of these connections are open (the sweep asks for all of them at once)."""
        return {conn_id for conn_id in conn_ids if self._is_open(conn_id)}

    async def send(self, conn_id: str, message: dict[str, Any]) -> bool:
        """Sends a message straight to a connection of this instance (replies, errors)."""
        conn = self._connections.get(conn_id)
        if conn is None or conn.closed:
            return False
        async with conn.lock:
            try:
                await conn.send(message)
            except (ConnectionError, RuntimeError):
                return False
        return True

    @contextlib.asynccontextmanager
    async def exclusive(
        self, conn_id: str | None
    ) -> AsyncIterator[Callable[[dict[str, Any]], Awaitable[None]]]:
        """Holds a connection so that no flush reaches it; yields a send for use meanwhile (a no-op
        for a REST client, which has no connection)."""
        conn = self._connections.get(conn_id) if conn_id else None
        if conn is None:

            async def nowhere(_: dict[str, Any]) -> None:
                return None

            yield nowhere
            return
        async with conn.lock:

            async def send(message: dict[str, Any]) -> None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await conn.send(message)

            yield send

    async def deliver(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        """Queues a message for a role and flushes the queue to the role's live connection (QueueFull
        past limit)."""
        pushed = await self.store.push(code, role, message, limit)
        await self.notify(code, role, pushed.conn_id)
        return pushed

    async def deliver_if_live(
        self, code: str, role: Role, message: dict[str, Any], limit: int, *, now: float, peer_present: bool
    ) -> Pushed | None:
        """A fast path for a relay: delivers if the session is plainly live at `now` (and, with
        peer_present, the role's socket plainly open); None if it cannot tell, and then the caller
        reads the session and decides. Straight to the role's socket when nothing waits for it."""
        session = await self.store.get(code)
        if session is None or session.expired(now):
            return None
        conn_id = session.slot(role).conn_id
        conn = self._connections.get(conn_id) if conn_id is not None else None
        if conn is None or conn.closed:
            return None if peer_present else await self.deliver(code, role, message, limit)
        if not conn.lock.locked() and not conn.client.ack:
            pushed = await self._send_direct(conn, code, role, message)
            if pushed is not None:
                return pushed
        return await self.deliver(code, role, message, limit)

    async def _send_direct(
        self, conn: Connection, code: str, role: Role, message: dict[str, Any]
    ) -> Pushed | None:
        """Sends a message to the role's connection without queuing it, if that keeps the queue's
        guarantees: under the connection's lock (no flush runs meanwhile) the store numbers the
        message only if the queue is empty and the connection still holds the role; otherwise None
        and the caller queues it. A send that fails puts the message at the front of the queue, as a
        failed flush does, so a resume gets it: exactly once, in order."""
        async with conn.lock:
            pushed = await self.store.pass_through(code, role, conn.id)
            if pushed is None:
                return None
            try:
                await conn.send(message)
            except (ConnectionError, RuntimeError):
                await self.store.requeue(code, role, [{"seq": pushed.seq, **message}])
            return pushed

    async def notify(self, code: str, role: Role, conn_id: str | None) -> None:
        """Something was queued for a role: wake its long-polls here and flush to its connection."""
        for event in self._waiters.get((code, role), ()):
            event.set()
        if conn_id is not None and conn_id in self._connections:
            await self.flush(conn_id, code, role)

    async def flush(self, conn_id: str, code: str, role: Role) -> int:
        """Sends a role's queued messages, in order, to its connection; puts back what did not go."""
        conn = self._connections.get(conn_id)
        if conn is None or conn.closed:
            return 0
        async with conn.lock:
            if conn.client.ack:
                return await self._flush_unacked(conn, code, role)
            messages = await self.store.pop_all(code, role)
            for i, message in enumerate(messages):
                try:
                    await conn.send(without_seq(message))
                except (ConnectionError, RuntimeError):
                    await self.store.requeue(code, role, messages[i:])
                    return i
            return len(messages)

    async def _flush_unacked(self, conn: Connection, code: str, role: Role) -> int:
        """Sends an acknowledging connection what it has not been written yet, with the numbers; the
        queue keeps it all until `cam-ack`. Called under the connection's lock."""
        written = self._written.get(conn.id, 0)
        messages = await self.store.unacked(code, role, written)
        for i, message in enumerate(messages):
            try:
                await conn.send(message)
            except (ConnectionError, RuntimeError):
                return i
            self._written[conn.id] = message["seq"]
        return len(messages)

    async def ack(self, code: str, role: Role, seq: int) -> None:
        """A client acknowledged every message of its role up to `seq`."""
        await self.store.ack(code, role, seq)

    async def poll(
        self, code: str, role: Role, seconds: float, *, numbered: bool = False
    ) -> list[dict[str, Any]]:
        """Takes what is queued for a role; if nothing is, waits up to `seconds` for something. The
        waiter is registered before the queue is read, so a message pushed in between wakes it.
        With `numbered` (a client that acknowledges) the messages keep their `seq`, so that one
        already received over a socket that died is recognised; a reply is a delivery either way."""
        key = (code, role)
        event = asyncio.Event()
        self._waiters[key].add(event)
        try:
            if seconds > 0:
                await self._expect(code, role, seconds)
            deadline = asyncio.get_running_loop().time() + seconds
            while True:
                event.clear()
                messages = await self.store.pop_all(code, role)
                left = deadline - asyncio.get_running_loop().time()
                if messages or left <= 0:
                    return messages if numbered else [without_seq(m) for m in messages]
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await event.wait()
        finally:
            self._waiters[key].discard(event)
            if not self._waiters[key]:
                del self._waiters[key]

    async def _expect(self, code: str, role: Role, seconds: float) -> None:
        """Lets the instances that queue for a role know that a long-poll waits here (none to tell
        on one instance)."""

    async def close_connection(self, conn_id: str, code: int, reason: str) -> None:
        """Closes a connection of this instance (a socket replaced by a resume, an ended session)."""
        conn = self._connections.get(conn_id)
        if conn is not None:
            await conn.close(code, reason)

    async def close_connections(self) -> None:
        """Closes every connection of this instance (server shutdown)."""
        await asyncio.gather(
            *(conn.close(1001, "server shutting down") for conn in list(self._connections.values())),
            return_exceptions=True,
        )

    async def close(self) -> None:
        """Stops background work and closes what is left (server shutdown)."""
        await self.close_connections()


def without_seq(message: dict[str, Any]) -> dict[str, Any]:
    """A queued message as a client that does not acknowledge gets it: without the store's `seq`."""
    return {key: value for key, value in message.items() if key != "seq"}
