"""Delivery across instances. The role queues in Redis hold every message (they are the durable
part); Redis pub/sub is only a doorbell that tells the instance owning a connection to flush it.
A doorbell lost while an instance is busy or reconnecting costs latency, not messages: every
instance also checks its own connections periodically. Connection ids start with the instance id,
and each instance announces its open sockets (presence.py), so any instance can tell whether a
connection is alive and where it lives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import orjson
from redis.commands.core import AsyncScript

from signaling.client import Connection
from signaling.config import ServerConfig
from signaling.hub import Hub
from signaling.logs import log_event
from signaling.protocol import Role
from signaling.redis import scripts
from signaling.redis.presence import Presence, owner_of
from signaling.redis.store import RedisStore, unavailable
from signaling.store.base import Pushed, StoreUnavailable
from signaling.tasks import cancel_and_wait, every

# Connections per check script call: bounds how long one call holds Redis.
CHECK_BATCH = 200


class RedisHub(Hub):
    """A Hub whose connections may live on other instances. Its timings (presence expiry and
    refresh, the local check every sweep interval, the resubscribe delay) come from config."""

    def __init__(self, instance_id: str, store: RedisStore, config: ServerConfig | None = None) -> None:
        super().__init__(instance_id, store)
        self.config = config or ServerConfig()
        self.redis_store = store
        self.presence = Presence(instance_id, store, self.config.presence_ttl, self.config.remote_live_cache)
        self._tasks: list[asyncio.Task[None]] = []
        # Fire-and-forget work (presence writes, doorbells), kept referenced so that it is not
        # collected mid-flight.
        self._background: set[asyncio.Task[None]] = set()
        self._deliver = store.redis.register_script(scripts.DELIVER)
        self._deliver_if_live = store.redis.register_script(scripts.DELIVER_IF_LIVE)
        self._check = store.redis.register_script(scripts.CHECK)

    def _channel(self, instance_id: str) -> str:
        return self.redis_store.key("instance", instance_id)

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
        self._spawn(self.presence.add(conn.id))

    def unregister(self, conn: Connection) -> None:
        super().unregister(conn)
        self._spawn(self.presence.drop(conn.id))

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def is_live(self, conn_id: str | None) -> bool:
        if conn_id is None or self.is_local(conn_id):
            return await super().is_live(conn_id)
        return await self.presence.is_live(conn_id)

    async def live_among(self, conn_ids: list[str]) -> set[str]:
        live = await super().live_among([c for c in conn_ids if self.is_local(c)])
        return live | await self.presence.live_among([c for c in conn_ids if not self.is_local(c)])

    def is_local(self, conn_id: str) -> bool:
        """True if the connection id names this instance."""
        return owner_of(conn_id) == self.instance_id

    async def deliver(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        reply = await self._run(self._deliver, code, role, message, limit, [])
        return await self._pushed(reply, code, role, limit)

    async def deliver_if_live(
        self, code: str, role: Role, message: dict[str, Any], limit: int, *, now: float, peer_present: bool
    ) -> Pushed | None:
        extra = [repr(now), self.presence.key(""), "1" if peer_present else "0"]
        reply = await self._run(self._deliver_if_live, code, role, message, limit, extra)
        return None if int(reply[0]) == scripts.DECLINED else await self._pushed(reply, code, role, limit)

    @unavailable
    async def _run(
        self,
        script: AsyncScript,
        code: str,
        role: Role,
        message: dict[str, Any],
        limit: int,
        extra: list[Any],
    ) -> list[Any]:
        store = self.redis_store
        return await script(
            keys=[*store.queue_keys(code, role), self._waiter(code, role)],
            args=[*store.push_args(role, message, limit), self.instance_id, self._channel(""), code, *extra],
        )

    async def _pushed(self, reply: list[Any], code: str, role: Role, limit: int) -> Pushed:
        """The script's result; the doorbell of another instance has rung already, a connection of
        this instance is flushed here."""
        pushed = self.redis_store.pushed(reply, role, limit)
        if pushed.conn_id is None or self.is_local(pushed.conn_id):
            await self.notify(code, role, pushed.conn_id)
        return pushed

    @unavailable
    async def _expect(self, code: str, role: Role, seconds: float) -> None:
        await self.redis_store.redis.set(
            self._waiter(code, role), self.instance_id, ex=max(1, int(seconds) + 1)
        )

    async def send(self, conn_id: str, message: dict[str, Any]) -> bool:
        """Sends straight to a connection, on this instance or, through its doorbell, on another (a
        notice such as the end of a session; True there means only that the note was published)."""
        if self.is_local(conn_id):
            return await super().send(conn_id, message)
        return await self._note(conn_id, {"op": "send", "conn": conn_id, "message": message})

    async def close_connection(self, conn_id: str, code: int, reason: str) -> None:
        if self.is_local(conn_id):
            await super().close_connection(conn_id, code, reason)
        else:
            await self._note(conn_id, {"op": "close", "conn": conn_id, "code": code, "reason": reason})

    async def _note(self, conn_id: str, note: dict[str, Any]) -> bool:
        """Publishes a note to the instance that owns a connection; False if Redis is unreachable."""
        try:
            await self.redis_store.redis.publish(self._channel(owner_of(conn_id)), orjson.dumps(note))
        except Exception:
            return False
        return True

    async def _on_note(self, note: dict[str, Any]) -> None:
        try:
            op = note.get("op")
            if op == "flush":
                await self.flush(note["conn"], note["code"], Role(note["role"]))
            elif op == "wake":
                await self.notify(note["code"], Role(note["role"]), None)
            elif op == "send":
                await super().send(note["conn"], note["message"])
            elif op == "close":
                await super().close_connection(note["conn"], int(note["code"]), note["reason"])
        except StoreUnavailable as exc:
            log_event("doorbell-failed", logging.WARNING, error=str(exc))

    async def _listen(self) -> None:
        """Receives doorbells for this instance; resubscribes after Redis comes back."""
        while True:
            pubsub = self.redis_store.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel(self.instance_id))
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        # Each doorbell in a task of its own: the next one need not wait for this
                        # flush's round trip (a connection's lock keeps its messages in order).
                        self._spawn(self._on_note(orjson.loads(item["data"])))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log_event("redis-subscription-lost", logging.WARNING, error=repr(exc))
                await asyncio.sleep(self.config.resubscribe_delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _refresh_presence(self) -> None:
        await every(self.config.presence_refresh, lambda: self.presence.refresh(self._connections.keys()))

    async def _check_local(self) -> None:
        await every(self.config.sweep_interval, self._check_connections)

    async def _check_connections(self) -> None:
        """Flushes what a lost doorbell left waiting, and reports connections whose session the store
        lost (the service tells their clients, never silently)."""
        # Read each binding once: a socket's own handler may change it while we await.
        bound = [
            (conn, conn.client.code, conn.client.role)
            for conn in list(self._connections.values())
            if conn.client.code is not None and conn.client.role is not None
        ]
        for start in range(0, len(bound), CHECK_BATCH):
            try:
                await self._check_batch(bound[start : start + CHECK_BATCH])
            except StoreUnavailable:
                break

    @unavailable
    async def _check_batch(self, bound: list[tuple[Connection, str, Role]]) -> None:
        keys: list[str] = []
        args: list[str] = []
        for conn, code, role in bound:
            queue, _, session = self.redis_store.queue_keys(code, role)
            keys += [session, queue]
            args += [str(role), conn.id]
        statuses = await self._check(keys=keys, args=args)
        for (conn, code, role), status in zip(bound, statuses, strict=True):
            if status == 1:
                await self.flush(conn.id, code, role)
            elif status == -1 and not await self.store.ended(code):
                await self.report_lost(conn, code)
