"""The sweep on its own: a service on the in-process store and hub, a clock the test moves, and
clients without sockets (REST) or with recording connections."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from signaling.client import Client
from signaling.config import ServerConfig
from signaling.hub import Hub
from signaling.metrics import Metrics
from signaling.protocol import MsgType, Role
from signaling.service import SignalingService
from signaling.store import MemoryStore
from signaling.sweeper import Sweeper
from tests.signaling.conftest import ManualClock, RecordingConnection

CONFIG = ServerConfig(code_ttl=120.0, grace=60.0, long_poll_max=30.0, rest_presence_slack=10.0)


@dataclass
class World:
    clock: ManualClock
    store: MemoryStore
    hub: Hub
    service: SignalingService
    sweeper: Sweeper

    def socket(self) -> tuple[Client, RecordingConnection]:
        """A client with a (recording) connection registered in the hub."""
        conn_id = self.hub.new_conn_id()
        client = Client(address="127.0.0.1", conn_id=conn_id)
        conn = RecordingConnection(conn_id, client)
        self.hub.register(conn)
        return client, conn

    def live_sessions(self) -> float | None:
        return self.service.metrics.registry.get_sample_value("dartcam_live_sessions")


@pytest.fixture
def world() -> World:
    clock = ManualClock()
    store = MemoryStore()
    hub = Hub("i", store)
    service = SignalingService(CONFIG, store, hub, Metrics(), clock)
    return World(clock, store, hub, service, Sweeper(service))


async def test_silent_rest_roles_are_marked_left_then_ended_after_the_grace(world: World) -> None:
    desktop, phone = Client(address="a"), Client(address="b")
    code = (await world.service.create(desktop))["code"]
    await world.service.join(phone, code)
    await world.sweeper.sweep()
    assert world.live_sessions() == 1.0
    world.clock.advance(CONFIG.long_poll_max + CONFIG.rest_presence_slack + 1)
    await world.sweeper.sweep()
    session = await world.store.get(code)
    assert session.desktop.left_at == session.phone.left_at == world.clock()
    left_notes = [
        m for r in Role for m in await world.store.pop_all(code, r) if m["type"] == MsgType.PEER_LEFT
    ]
    assert sorted(m["role"] for m in left_notes) == ["desktop", "phone"]
    world.clock.advance(CONFIG.grace + 1)
    await world.sweeper.sweep()
    assert await world.store.get(code) is None and await world.store.ended(code)
    assert world.live_sessions() == 0.0


async def test_a_paired_session_lives_on_past_its_code_ttl_while_present(world: World) -> None:
    (desktop, _), (phone, _) = world.socket(), world.socket()
    code = (await world.service.create(desktop))["code"]
    await world.service.join(phone, code)
    expiry = (await world.store.get(code)).expires_at
    world.clock.advance(CONFIG.code_ttl * 0.4)
    await world.sweeper.sweep()
    assert (await world.store.get(code)).expires_at == expiry  # not rewritten on every sweep
    world.clock.advance(CONFIG.code_ttl * 0.2)
    await world.sweeper.sweep()
    assert (await world.store.get(code)).expires_at == world.clock() + CONFIG.code_ttl
    world.clock.advance(CONFIG.code_ttl * 0.9)  # past the first expiry
    await world.sweeper.sweep()
    assert await world.store.get(code) is not None and world.live_sessions() == 1.0


async def test_an_unpaired_code_expires_and_its_desktop_is_told(world: World) -> None:
    desktop, conn = world.socket()
    code = (await world.service.create(desktop))["code"]
    world.clock.advance(CONFIG.code_ttl + 1)
    await world.sweeper.sweep()
    assert await world.store.get(code) is None
    assert conn.sent[-1]["type"] == MsgType.ERROR and conn.sent[-1]["code"] == "EXPIRED"
    assert "expired" in conn.sent[-1]["message"] and world.live_sessions() == 0.0


async def test_a_closed_socket_not_seen_closing_is_marked_left(world: World) -> None:
    (desktop, desktop_conn), (phone, phone_conn) = world.socket(), world.socket()
    code = (await world.service.create(desktop))["code"]
    await world.service.join(phone, code)
    phone_conn.closed = True  # gone without a close the service heard of
    await world.sweeper.sweep()
    assert (await world.store.get(code)).phone.left_at == world.clock()
    assert desktop_conn.sent[-1] == {"type": "cam-peer-left", "code": code, "role": "phone"}
