"""A desktop agent and a simulated phone get video through two signaling instances that share one
real redis-server: the agent's socket is on instance A, the phone's on instance B."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.procs import RedisProcess
from tests.receiver.conftest import agent_config, frames_from


@pytest.fixture
async def two_instances() -> AsyncIterator[tuple[SignalingServer, SignalingServer]]:
    store = RedisProcess().start()
    servers = [
        SignalingServer(ServerConfig(host="127.0.0.1", port=0, sweep_interval=0.2, redis_url=store.url))
        for _ in range(2)
    ]
    for server in servers:
        await server.start()
    yield servers[0], servers[1]
    for server in servers:
        await asyncio.wait_for(server.stop(), 10)
    store.cleanup()


@pytest.mark.parametrize("transport", ["ws", "rest"])
async def test_video_through_two_instances(two_instances, make_agent, make_phone, transport) -> None:
    a, b = two_instances
    agent, events = await make_agent(agent_config(a.ws_url))
    await make_phone(b.ws_url, agent.code, transport=transport)
    frames = await frames_from(agent, 5)
    assert all(f.image.shape == (240, 320, 3) for f in frames)
    assert (await events.wait("peer-joined")) is not None
