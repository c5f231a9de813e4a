"""Which connections are alive across instances. Each instance keeps one Redis set of its open
connection ids and refreshes its expiry; an instance that dies stops refreshing, its set expires, and
every other instance then sees its connections as gone (and the sweep lets their roles resume)."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Collection

from signaling.redis.store import RedisStore, unavailable


def owner_of(conn_id: str) -> str:
    """The instance a connection id names (ids are `<instance>-<n>`)."""
    return conn_id.split("-", 1)[0]


class Presence:
    """This instance's presence set, and lookups in the others'. The set expires `ttl` seconds after
    its last write. A connection of another instance seen alive is trusted for `live_cache` seconds
    without asking Redis again: its session binding is what a relay follows, and presence only
    detects a dead instance, which `ttl` (longer) already leaves unnoticed for a while."""

    def __init__(
        self, instance_id: str, store: RedisStore, ttl: float = 15.0, live_cache: float = 2.0
    ) -> None:
        self.instance_id = instance_id
        self.store = store
        self.ttl_ms = max(1, int(ttl * 1000))
        self.live_cache = live_cache
        self._remote_live: dict[str, float] = {}

    def key(self, instance_id: str) -> str:
        """The presence set of an instance."""
        return self.store.key("conns", instance_id)

    async def add(self, conn_id: str) -> None:
        """Announces a new connection of this instance."""
        with contextlib.suppress(Exception):  # Redis down: the next refresh writes it
            async with self.store.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(self.key(self.instance_id), conn_id)
                pipe.pexpire(self.key(self.instance_id), self.ttl_ms)
                await pipe.execute()

    async def drop(self, conn_id: str) -> None:
        """Withdraws a closed connection of this instance."""
        with contextlib.suppress(Exception):  # Redis down: the next refresh removes it
            await self.store.redis.srem(self.key(self.instance_id), conn_id)

    async def refresh(self, open_conns: Collection[str]) -> None:
        """Makes the set match this instance's open connections (a live view, read after the set:
        ids are never reused, so a member missing from it is closed for good; one registered
        meanwhile is in it) and keeps the set from expiring. Repairs what a failed write or an add
        that ran after its drop left behind."""
        key = self.key(self.instance_id)
        with contextlib.suppress(Exception):
            members = await self.store.redis.smembers(key)
            current = list(open_conns)
            stale = members.difference(current)
            async with self.store.redis.pipeline(transaction=True) as pipe:
                if current:
                    pipe.sadd(key, *current)
                if stale:
                    pipe.srem(key, *stale)
                pipe.pexpire(key, self.ttl_ms)
                await pipe.execute()

    async def is_live(self, conn_id: str) -> bool:
        """True if a connection of another instance is open."""
        if self._remote_live.get(conn_id, 0.0) > time.monotonic():
            return True
        return bool(await self.live_among([conn_id]))

    @unavailable
    async def live_among(self, conn_ids: list[str]) -> set[str]:
        """Which connections of other instances are open: one command per instance, one round trip."""
        if not conn_ids:
            return set()
        by_owner: dict[str, list[str]] = defaultdict(list)
        for conn_id in conn_ids:
            by_owner[owner_of(conn_id)].append(conn_id)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for owner, ids in by_owner.items():
                pipe.smismember(self.key(owner), ids)
            replies = await pipe.execute()
        live = {
            conn_id
            for ids, found in zip(by_owner.values(), replies, strict=True)
            for conn_id, member in zip(ids, found, strict=True)
            if member
        }
        now = time.monotonic()
        if len(self._remote_live) > 10_000:
            self._remote_live = {c: t for c, t in self._remote_live.items() if t > now}
        self._remote_live.update(dict.fromkeys(live, now + self.live_cache))
        return live
