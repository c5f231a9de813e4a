"""The in-process hub's relay path: straight to an idle socket when its queue is empty, through the
queue otherwise, and in both cases every message once and in order."""

from __future__ import annotations

import asyncio
import time

import pytest

from signaling.client import Client
from signaling.hub import Hub
from signaling.protocol import Role
from signaling.session import PairingSession
from signaling.store import MemoryStore
from tests.signaling.conftest import RecordingConnection

LIMIT = 100
CODE = "ABCDEF"


class BrokenConnection(RecordingConnection):
    """A socket that looks open but fails every send (closed under our feet)."""

    async def send(self, message: dict) -> None:
        raise ConnectionError("reset by peer")


@pytest.fixture
async def hub() -> Hub:
    store = MemoryStore()
    session = PairingSession(code=CODE, expires_at=time.time() + 60)
    session.phone.conn_id, session.phone.token = "i-1", "p"
    await store.create(session)
    return Hub("i", store)


def phone_socket(hub: Hub, cls: type[RecordingConnection] = RecordingConnection) -> RecordingConnection:
    conn = cls("i-1", Client(address="127.0.0.1", conn_id="i-1", code=CODE, role=Role.PHONE))
    hub.register(conn)
    return conn


async def relay(hub: Hub, n: int) -> int | None:
    pushed = await hub.deliver_if_live(CODE, Role.PHONE, {"n": n}, LIMIT, now=time.time(), peer_present=True)
    return None if pushed is None else pushed.seq


async def test_an_idle_socket_gets_the_message_without_the_queue(hub: Hub) -> None:
    conn = phone_socket(hub)
    assert [await relay(hub, n) for n in range(3)] == [1, 2, 3]  # numbered as if queued
    assert conn.sent == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert await hub.store.pop_all(CODE, Role.PHONE) == []


async def test_what_waits_in_the_queue_goes_first(hub: Hub) -> None:
    await hub.store.push(CODE, Role.PHONE, {"n": 0}, LIMIT)
    await hub.store.push(CODE, Role.PHONE, {"n": 1}, LIMIT)
    conn = phone_socket(hub)
    assert await relay(hub, 2) == 3
    assert conn.sent == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_a_busy_socket_gets_its_messages_in_order_after_the_current_send(hub: Hub) -> None:
    conn = phone_socket(hub)
    await conn.lock.acquire()  # a flush or a reply is being sent
    first = asyncio.create_task(relay(hub, 0))
    second = asyncio.create_task(relay(hub, 1))
    await asyncio.sleep(0.01)
    assert conn.sent == []
    conn.lock.release()
    assert await first == 1 and await second == 2
    assert conn.sent == [{"n": 0}, {"n": 1}]


async def test_a_failed_direct_send_leaves_the_message_queued_for_a_resume(hub: Hub) -> None:
    phone_socket(hub, BrokenConnection)
    assert await relay(hub, 0) == 1
    assert await hub.store.pop_all(CODE, Role.PHONE) == [{"seq": 1, "n": 0}]


async def test_no_socket_no_direct_path(hub: Hub) -> None:
    assert await relay(hub, 0) is None  # cam-data needs the peer: the service decides
    offer = {"type": "cam-offer"}
    queued = await hub.deliver_if_live(CODE, Role.PHONE, offer, LIMIT, now=time.time(), peer_present=False)
    assert queued is not None and await hub.store.pop_all(CODE, Role.PHONE) == [{"seq": queued.seq, **offer}]
    late = time.time() + 120  # an expired session is declined too
    assert await hub.deliver_if_live(CODE, Role.PHONE, offer, LIMIT, now=late, peer_present=False) is None
