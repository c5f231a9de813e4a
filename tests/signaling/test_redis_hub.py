"""The Redis hub's parts on a real redis-server: the relay's fast path delivers only when the session
is live and the peer's socket is announced by its instance, and rings that instance; the presence set
of an instance follows its open sockets and expires with it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import orjson
import pytest
import redis

from signaling.protocol import Role
from signaling.redis import RedisHub, RedisStore
from signaling.redis.presence import Presence
from signaling.session import PairingSession
from tests.procs import RedisProcess

LIMIT = 10


@pytest.fixture
async def hub(redis_server: RedisProcess) -> AsyncIterator[RedisHub]:
    redis.Redis.from_url(redis_server.url).flushall()
    store = RedisStore(redis_server.url)
    # Not started: no refresher re-announces anything behind the test's back.
    yield RedisHub("here", store)
    await store.close()


async def paired_session(store: RedisStore, phone_conn: str, ttl: float = 60.0) -> str:
    now = time.time()
    session = PairingSession(code="FAST01", expires_at=now + ttl)
    session.desktop.conn_id, session.phone.conn_id = "here-1", phone_conn
    session.desktop.token, session.phone.token = "desktop-token", "phone-token"
    assert await store.create(session)
    return session.code


async def test_fast_path_declines_a_peer_whose_instance_is_gone(hub: RedisHub) -> None:
    code = await paired_session(hub.redis_store, "there-7")
    msg = {"type": "cam-data", "code": code, "payload": {"n": 1}}
    # "there" announces nothing (it died and its presence set expired): nothing is queued.
    assert await hub.deliver_if_live(code, Role.PHONE, msg, LIMIT, now=time.time(), peer_present=True) is None
    assert await hub.redis_store.pop_all(code, Role.PHONE) == []
    # A message that waits for an absent peer (an offer, a candidate) is queued all the same.
    offer = {"type": "cam-offer", "code": code, "payload": {"type": "offer", "sdp": "v=0"}}
    queued = await hub.deliver_if_live(code, Role.PHONE, offer, LIMIT, now=time.time(), peer_present=False)
    assert queued is not None and queued.seq == 1
    assert await hub.redis_store.pop_all(code, Role.PHONE) == [{"seq": 1, **offer}]
    # Once "there" announces the socket, the message is queued and "there" is rung.
    await hub.redis_store.redis.sadd(hub.presence.key("there"), "there-7")
    pubsub = hub.redis_store.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(hub.redis_store.key("instance", "there"))
    pushed = await hub.deliver_if_live(code, Role.PHONE, msg, LIMIT, now=time.time(), peer_present=True)
    assert pushed is not None and pushed.conn_id == "there-7" and pushed.seq == 2
    note, deadline = None, time.monotonic() + 2.0
    while note is None and time.monotonic() < deadline:  # the first read takes the confirmation
        note = await pubsub.get_message(timeout=0.1)
    assert note is not None
    assert orjson.loads(note["data"]) == {"op": "flush", "conn": "there-7", "code": code, "role": "phone"}
    assert await hub.redis_store.pop_all(code, Role.PHONE) == [{"seq": 2, **msg}]
    await pubsub.aclose()


async def test_fast_path_declines_an_expired_session(hub: RedisHub) -> None:
    code = await paired_session(hub.redis_store, "there-7", ttl=0.2)
    await hub.redis_store.redis.sadd(hub.presence.key("there"), "there-7")
    msg = {"type": "cam-data", "code": code, "payload": {}}
    assert (
        await hub.deliver_if_live(code, Role.PHONE, msg, LIMIT, now=time.time(), peer_present=True)
        is not None
    )
    later = time.time() + 0.3  # past the session's expiry: the service's clock says so, not a wait
    for peer_present in (True, False):
        assert (
            await hub.deliver_if_live(code, Role.PHONE, msg, LIMIT, now=later, peer_present=peer_present)
            is None
        )
    assert await hub.redis_store.pop_all(code, Role.PHONE) == [{"seq": 1, **msg}]  # only the first


async def test_presence_refresh_repairs_the_set_and_keeps_it_expiring(hub: RedisHub) -> None:
    redis_client = hub.redis_store.redis
    here, there = hub.presence, Presence("there", hub.redis_store)
    await here.add("here-1")
    await here.add("here-2")
    # here-2 closed but its removal never reached Redis; here-3 opened but was not announced yet.
    await here.refresh({"here-1": None, "here-3": None}.keys())
    assert await redis_client.smembers(here.key("here")) == {"here-1", "here-3"}
    assert 0 < await redis_client.pttl(here.key("here")) <= here.ttl_ms
    assert await there.live_among(["here-1", "here-2", "here-3"]) == {"here-1", "here-3"}
    # An instance that stops refreshing disappears with its set.
    await redis_client.delete(here.key("here"))
    assert await there.live_among(["here-1", "here-3"]) == set()


async def test_pass_through_numbers_only_for_the_bound_connection_with_an_empty_queue(hub: RedisHub) -> None:
    store = hub.redis_store
    code = await paired_session(store, "here-2")
    assert (await store.pass_through(code, Role.PHONE, "here-2")).seq == 1
    assert await store.pass_through(code, Role.PHONE, "here-9") is None  # not the bound socket
    assert (await store.push(code, Role.PHONE, {"n": 1}, LIMIT)).seq == 2
    assert await store.pass_through(code, Role.PHONE, "here-2") is None  # something waits
    assert await store.pop_all(code, Role.PHONE) == [{"seq": 2, "n": 1}]
    assert (await store.pass_through(code, Role.PHONE, "here-2")).seq == 3
