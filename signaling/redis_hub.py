"""Delivery across instances. The role queues in Redis hold every message (they are the durable
part); Redis pub/sub is only a doorbell that tells the instance owning a connection to flush it.
A doorbell lost while an instance is busy or reconnecting costs latency, not messages: every
instance also flushes its own connections periodically. Connection ids start with the instance id,
and each instance keeps presence keys for its live sockets, so any instance can tell whether a
connection is alive and where it lives."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine

from signaling.hub import Connection, Hub
from signaling.logs import log_event
from signaling.protocol import ErrorName, Role, error
from signaling.store.base import StoreUnavailable
from signaling.store.redis import RedisStore
from signaling.tasks import cancel_and_wait

PRESENCE_TTL = 15
PRESENCE_REFRESH = 5.0
RESUBSCRIBE_DELAY = 0.5


class RedisHub(Hub):
    """A Hub whose connections may live on other instances."""

    def __init__(self, instance_id: str, store: RedisStore, local_check_interval: float = 5.0) -> None:
        super().__init__(instance_id, store)
        self.redis_store = store
        self.local_check_interval = local_check_interval
        self._tasks: list[asyncio.Task[None]] = []
        # Fire-and-forget presence writes, kept referenced so they are not collected mid-flight.
        self._writes: set[asyncio.Task[None]] = set()

    def _channel(self, instance_id: str) -> str:
        return self.redis_store.key("instance", instance_id)

    def _presence(self, conn_id: str) -> str:
        return self.redis_store.key("conn", conn_id)

    def _waiter(self, code: str, role: Role) -> str:
        return self.redis_store.key("waiter", code, str(role))

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen()),
            asyncio.create_task(self._refresh_presence()),
            asyncio.create_task(self._check_local()),
        ]

    async def close(self) -> None:
        await cancel_and_wait(*self._tasks)
        await super().close()

    def register(self, conn: Connection) -> None:
        super().register(conn)
        # Presence is refreshed in the background; a failed write here only delays it.
        self._spawn(self._set_presence([conn.id]))

    def unregister(self, conn: Connection) -> None:
        super().unregister(conn)
        self._spawn(self._drop_presence(conn.id))

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _set_presence(self, conn_ids: list[str]) -> None:
        with contextlib.suppress(Exception):  # Redis down: the refresher writes it again later
            async with self.redis_store.redis.pipeline(transaction=False) as pipe:
                for conn_id in conn_ids:
                    pipe.set(self._presence(conn_id), "1", ex=PRESENCE_TTL)
                await pipe.execute()

    async def _drop_presence(self, conn_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.redis_store.redis.delete(self._presence(conn_id))

    async def is_live(self, conn_id: str | None) -> bool:
        if conn_id is None:
            return False
        if self.is_local(conn_id):
            return await super().is_live(conn_id)
        try:
            return bool(await self.redis_store.redis.exists(self._presence(conn_id)))
        except Exception as exc:
            raise StoreUnavailable(f"Redis unreachable ({exc.__class__.__name__})") from exc

    def is_local(self, conn_id: str) -> bool:
        """True if the connection id names this instance."""
        return conn_id.startswith(self.instance_id + "-")

    async def _publish(self, instance_id: str, note: dict[str, str]) -> None:
        try:
            await self.redis_store.redis.publish(self._channel(instance_id), json.dumps(note))
        except Exception as exc:
            raise StoreUnavailable(f"Redis unreachable ({exc.__class__.__name__})") from exc

    async def notify(self, code: str, role: Role, conn_id: str | None) -> None:
        if conn_id is not None and not self.is_local(conn_id):
            await self._publish(
                conn_id.split("-", 1)[0], {"op": "flush", "conn": conn_id, "code": code, "role": role}
            )
            return
        await super().notify(code, role, conn_id)
        if conn_id is None:
            # A REST long-poll for this role may be waiting on another instance.
            owner = await self.redis_store.redis.get(self._waiter(code, role))
            if owner and owner != self.instance_id:
                await self._publish(owner, {"op": "wake", "code": code, "role": role})

    async def wait(self, code: str, role: Role, seconds: float) -> None:
        await self.redis_store.redis.set(
            self._waiter(code, role), self.instance_id, ex=max(1, int(seconds) + 1)
        )
        await super().wait(code, role, seconds)

    async def close_connection(self, conn_id: str, code: int, reason: str) -> None:
        if self.is_local(conn_id):
            await super().close_connection(conn_id, code, reason)
        else:
            with contextlib.suppress(StoreUnavailable):
                owner = conn_id.split("-", 1)[0]
                await self._publish(
                    owner, {"op": "close", "conn": conn_id, "code": str(code), "reason": reason}
                )

    async def _on_note(self, note: dict[str, str]) -> None:
        op = note.get("op")
        if op == "flush":
            await self.flush(note["conn"], note["code"], Role(note["role"]))
        elif op == "wake":
            await Hub.notify(self, note["code"], Role(note["role"]), None)
        elif op == "close":
            await super().close_connection(note["conn"], int(note["code"]), note["reason"])

    async def _listen(self) -> None:
        """Receives doorbells for this instance; resubscribes after Redis comes back."""
        while True:
            pubsub = self.redis_store.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel(self.instance_id))
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        try:
                            await self._on_note(json.loads(item["data"]))
                        except StoreUnavailable as exc:
                            log_event("doorbell-failed", logging.WARNING, error=str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_event("redis-subscription-lost", logging.WARNING, error=repr(exc))
                await asyncio.sleep(RESUBSCRIBE_DELAY)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _refresh_presence(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_REFRESH)
            await self._set_presence(list(self._connections))

    async def _check_local(self) -> None:
        """Flushes what a lost doorbell left waiting, and tells clients whose session was lost with
        the store (never silently)."""
        while True:
            await asyncio.sleep(self.local_check_interval)
            # Read each binding once: a socket's own handler may change it while we await.
            bound = [
                (conn, conn.client.code, conn.client.role)
                for conn in list(self._connections.values())
                if conn.client.code is not None and conn.client.role is not None
            ]
            if not bound:
                continue
            try:
                # Two round trips for all connections, then work only where there is some.
                sessions = await self.redis_store.get_many([code for _, code, _ in bound])
                waiting = await self.redis_store.queue_lengths([(code, role) for _, code, role in bound])
                for (conn, code, role), session, count in zip(bound, sessions, waiting, strict=True):
                    if session is None and not await self.store.ended(code):
                        conn.client.code = conn.client.role = None
                        text = f"the session {code} was lost by the session store; start a new one"
                        await self.send(conn.id, error(ErrorName.EXPIRED, text))
                    elif session is not None and count and session.slot(role).conn_id == conn.id:
                        await self.flush(conn.id, code, role)
            except StoreUnavailable:
                continue
