"""The Redis store: sessions, per-role queues with sequence numbers, tombstones, counters and locks
shared by every instance of a deployment. Every key expires, so nothing leaks when an instance dies."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from signaling.protocol import Role
from signaling.redis import scripts
from signaling.session import PairingSession
from signaling.store.base import Pushed, QueueFull, StoreUnavailable

T = TypeVar("T")

MAX_CONNECTIONS = 64
GET_BATCH = 100


def unavailable(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Turns Redis connection failures into StoreUnavailable, which clients see as UNAVAILABLE."""

    @functools.wraps(fn)
    async def wrapped(*args: Any, **kwargs: Any) -> T:
        try:
            return await fn(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            # Also what an overloaded server says when no pooled connection frees up in time.
            raise StoreUnavailable(
                f"Redis unreachable or busy ({exc.__class__.__name__}: {exc}); try again"
            ) from exc
        except RedisError as exc:
            raise StoreUnavailable(f"Redis error: {exc}") from exc

    return wrapped


class RedisStore:
    """SessionStore on Redis. Session updates are optimistic transactions (WATCH/MULTI). Every key
    expires after key_ttl seconds, a safety net: the sweeper ends sessions long before."""

    def __init__(
        self,
        url: str,
        prefix: str = "dartcam",
        *,
        timeout: float = 2.0,
        pool_wait: float = 5.0,
        key_ttl: float = 3600.0,
    ) -> None:
        # A bounded pool whose callers wait for a free connection. An unbounded one opens a new
        # connection for every request of a burst, and opening one costs more than the request: a
        # burst then snowballed into seconds of latency.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            max_connections=MAX_CONNECTIONS,
            timeout=pool_wait,
        )
        self.redis = aioredis.Redis.from_pool(pool)
        self.prefix = prefix
        self.key_ttl = max(1, int(key_ttl))
        self._push = self.redis.register_script(scripts.PUSH)
        self._pop_all = self.redis.register_script(scripts.POP_ALL)
        self._pass_through = self.redis.register_script(scripts.PASS_THROUGH)
        self._ack = self.redis.register_script(scripts.ACK)

    def key(self, *parts: str) -> str:
        """A key in this deployment's namespace."""
        return ":".join((self.prefix, *parts))

    def _session_key(self, code: str) -> str:
        return self.key("session", code)

    def queue_keys(self, code: str, role: Role) -> list[str]:
        """The keys the push scripts take: the role's queue, its sequence counter, the session."""
        return [self.key("queue", code, str(role)), self.key("seq", code, str(role)), self._session_key(code)]

    def push_args(self, role: Role, message: dict[str, Any], limit: int) -> list[Any]:
        """The arguments the push scripts take."""
        return [orjson.dumps(message), limit, self.key_ttl, str(role)]

    @staticmethod
    def pushed(reply: list[Any], role: Role, limit: int) -> Pushed:
        """The result of a push script; QueueFull if it refused."""
        seq, conn = int(reply[0]), reply[1]
        if seq == scripts.QUEUE_FULL:
            raise QueueFull(f"{limit} messages are already waiting for the {role}")
        return Pushed(seq, conn or None)

    @unavailable
    async def ping(self) -> bool:
        """True if Redis answers."""
        return bool(await self.redis.ping())

    @unavailable
    async def create(self, session: PairingSession) -> bool:
        created = await self.redis.set(
            self._session_key(session.code), orjson.dumps(session.to_dict()), nx=True, ex=self.key_ttl
        )
        if created:
            await self.redis.delete(self.key("ended", session.code))
        return bool(created)

    @unavailable
    async def get(self, code: str) -> PairingSession | None:
        raw = await self.redis.get(self._session_key(code))
        return PairingSession.from_dict(orjson.loads(raw)) if raw else None

    @unavailable
    async def update(self, code: str, fn: Callable[[PairingSession], T]) -> T | None:
        key = self._session_key(code)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(50):
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if not raw:
                        await pipe.reset()
                        return None
                    session = PairingSession.from_dict(orjson.loads(raw))
                    result = fn(session)
                    pipe.multi()
                    pipe.set(key, orjson.dumps(session.to_dict()), ex=self.key_ttl)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue  # another instance changed it meanwhile: read again
        raise StoreUnavailable(f"session {code} kept changing; update abandoned")

    @unavailable
    async def end(self, code: str, tombstone_ttl: float) -> None:
        keys = [
            self._session_key(code),
            *self.queue_keys(code, Role.DESKTOP)[:2],
            *self.queue_keys(code, Role.PHONE)[:2],
        ]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*keys)
            pipe.set(self.key("ended", code), "1", ex=max(1, int(tombstone_ttl)))
            await pipe.execute()

    @unavailable
    async def ended(self, code: str) -> bool:
        return bool(await self.redis.exists(self.key("ended", code)))

    @unavailable
    async def codes(self) -> list[str]:
        start = len(self._session_key(""))
        return [key[start:] async for key in self.redis.scan_iter(match=self._session_key("*"), count=500)]

    @unavailable
    async def push(self, code: str, role: Role, message: dict[str, Any], limit: int) -> Pushed:
        reply = await self._push(keys=self.queue_keys(code, role), args=self.push_args(role, message, limit))
        return self.pushed(reply, role, limit)

    @unavailable
    async def get_many(self, codes: list[str]) -> list[PairingSession | None]:
        sessions: list[PairingSession | None] = []
        # In batches, so that parsing hundreds of sessions never holds the event loop for long.
        for start in range(0, len(codes), GET_BATCH):
            batch = codes[start : start + GET_BATCH]
            raws = await self.redis.mget([self._session_key(code) for code in batch])
            sessions += [PairingSession.from_dict(orjson.loads(raw)) if raw else None for raw in raws]
        return sessions

    @unavailable
    async def pass_through(self, code: str, role: Role, conn_id: str) -> Pushed | None:
        args = [self.key_ttl, str(role), conn_id]
        seq = int(await self._pass_through(keys=self.queue_keys(code, role), args=args))
        return None if seq < 0 else Pushed(seq, conn_id)

    @unavailable
    async def pop_all(self, code: str, role: Role) -> list[dict[str, Any]]:
        items = await self._pop_all(keys=self.queue_keys(code, role)[:1])
        return [orjson.loads(item) for item in items]

    @unavailable
    async def requeue(self, code: str, role: Role, messages: list[dict[str, Any]]) -> None:
        if messages and await self.redis.exists(self._session_key(code)):
            key = self.queue_keys(code, role)[0]
            await self.redis.lpush(key, *[orjson.dumps(m) for m in reversed(messages)])

    @unavailable
    async def unacked(self, code: str, role: Role, after: int) -> list[dict[str, Any]]:
        items = await self.redis.lrange(self.queue_keys(code, role)[0], 0, -1)
        messages = [orjson.loads(item) for item in items]
        return [m for m in messages if m.get("seq", 0) > after]

    @unavailable
    async def ack(self, code: str, role: Role, seq: int) -> None:
        await self._ack(keys=self.queue_keys(code, role)[:1], args=[seq])

    @unavailable
    async def hit(self, key: str, limit: int, window: float, peek: bool = False) -> bool:
        counter = self.key("hits", key)
        if peek:
            return int(await self.redis.get(counter) or 0) < limit
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, max(1, int(window)), nx=True)
            count, _ = await pipe.execute()
        return int(count) <= limit

    @unavailable
    async def try_lock(self, name: str, seconds: float) -> bool:
        return bool(
            await self.redis.set(self.key("lock", name), "1", nx=True, px=max(1, int(seconds * 1000)))
        )

    async def close(self) -> None:
        await self.redis.aclose()
