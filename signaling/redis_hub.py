"""Delivery across instances. The role queues in Redis hold every message (they are the durable
part); Redis pub/sub is only a doorbell that tells the instance owning a connection to flush it.
A doorbell lost while an instance is busy or reconnecting costs latency, not messages: every
instance also flushes its own connections periodically. Connection ids start with the instance id,
and each instance keeps presence keys for its live sockets, so any instance can tell whether a
connection is alive and where it lives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any

import orjson

from signaling.hub import Connection, Hub
from signaling.logs import log_event
from signaling.protocol import ErrorName, Role, error
from signaling.store.base import Pushed, StoreUnavailable
from signaling.store.redis import PUSH_LUA, RedisStore, unavailable
from signaling.tasks import cancel_and_wait

PRESENCE_TTL = 15
PRESENCE_REFRESH = 5.0
RESUBSCRIBE_DELAY = 0.5
# A connection of another instance seen alive is trusted this long without asking Redis again. Its
# session binding is what a relay follows; presence only detects a dead instance, which PRESENCE_TTL
# already leaves unnoticed for longer.
REMOTE_LIVE_CACHE = 2.0
# The push, then the doorbell of the instance that owns the bound connection (or, with no socket
# bound, of the instance where a REST long-poll waits for the role): one round trip per relay.
# KEYS[4] is the role's waiter key; ARGV[5] this instance, ARGV[6] the channel prefix, ARGV[7] the code.
DELIVER_SCRIPT = (
    PUSH_LUA
    + """
local owner, note
if conn ~= '' then
  owner = string.match(conn, '^([^-]*)-')
  note = cjson.encode({op = 'flush', conn = conn, code = ARGV[7], role = ARGV[4]})
else
  owner = redis.call('GET', KEYS[4])
  note = cjson.encode({op = 'wake', code = ARGV[7], role = ARGV[4]})
end
if owner and owner ~= ARGV[5] then redis.call('PUBLISH', ARGV[6] .. owner, note) end
return {seq, conn}
"""
)


class RedisHub(Hub):
    """A Hub whose connections may live on other instances."""

    def __init__(self, instance_id: str, store: RedisStore, local_check_interval: float = 5.0) -> None:
        super().__init__(instance_id, store)
        self.redis_store = store
        self.local_check_interval = local_check_interval
        self._tasks: list[asyncio.Task[None]] = []
        # Fire-and-forget work (presence writes, doorbells), kept referenced so that it is not
        # collected mid-flight.
        self._background: set[asyncio.Task[None]] = set()
        self._remote_live: dict[str, float] = {}
        self._deliver = store.redis.register_script(DELIVER_SCRIPT)

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
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        if self._remote_live.get(conn_id, 0.0) > time.monotonic():
            return True
        return bool(await self._remote_among([conn_id]))

    async def live_among(self, conn_ids: list[str]) -> set[str]:
        live = await super().live_among([c for c in conn_ids if self.is_local(c)])
        return live | await self._remote_among([c for c in conn_ids if not self.is_local(c)])

    @unavailable
    async def _remote_among(self, conn_ids: list[str]) -> set[str]:
        """Which connections of other instances have presence keys, in one round trip."""
        if not conn_ids:
            return set()
        async with self.redis_store.redis.pipeline(transaction=False) as pipe:
            for conn_id in conn_ids:
                pipe.exists(self._presence(conn_id))
            found = await pipe.execute()
        live = {conn_id for conn_id, n in zip(conn_ids, found, strict=True) if n}
        now = time.monotonic()
        if len(self._remote_live) > 10_000:
            self._remote_live = {c: t for c, t in self._remote_live.items() if t > now}
        self._remote_live.update(dict.fromkeys(live, now + REMOTE_LIVE_CACHE))
        return live

    def is_local(self, conn_id: str) -> bool:
        """True if the connection id names this instance."""
        return conn_id.startswith(self.instance_id + "-")

    @unavailable
    async def _publish(self, instance_id: str, note: dict[str, str]) -> None:
        await self.redis_store.redis.publish(self._channel(instance_id), orjson.dumps(note))

    @unavailable
    async def deliver(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        store = self.redis_store
        reply = await self._deliver(
            keys=[*store.queue_keys(code, role), self._waiter(code, role)],
            args=[*store.push_args(role, message, limit), self.instance_id, self._channel(""), code],
        )
        pushed = store.pushed(reply, role, limit)
        if pushed.conn_id is None or self.is_local(pushed.conn_id):
            await self.notify(code, role, pushed.conn_id)
        return pushed

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
        try:
            await self._act_on(note)
        except StoreUnavailable as exc:
            log_event("doorbell-failed", logging.WARNING, error=str(exc))

    async def _act_on(self, note: dict[str, str]) -> None:
        op = note.get("op")
        if op == "flush":
            await self.flush(note["conn"], note["code"], Role(note["role"]))
        elif op == "wake":
            await self.notify(note["code"], Role(note["role"]), None)
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
                        # Each doorbell in a task of its own: the next one need not wait for this
                        # flush's round trip (a connection's lock keeps its messages in order).
                        self._spawn(self._on_note(orjson.loads(item["data"])))
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
