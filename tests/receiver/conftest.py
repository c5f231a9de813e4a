"""Fixtures for the desktop agent tests: a signaling server, agents and simulated phones, all on
127.0.0.1 with ICE host candidates pinned to loopback and no STUN."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from desktop_receiver.agent import Agent
from desktop_receiver.config import AgentConfig
from desktop_receiver.events import Event
from desktop_receiver.simphone import PhoneOptions, SimulatedPhone, SourceOptions
from desktop_receiver.webrtc.peer import PeerOptions
from signaling.config import ServerConfig
from signaling.server import SignalingServer

LOOPBACK = ("127.0.0.1",)
# Generous: the machine is shared with other test suites.
TIMEOUT = 30.0


class EventLog:
    """Every event of one agent, with a way to wait for the next one that matches."""

    def __init__(self, agent: Agent) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        agent.subscribe(self._add)

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def names(self) -> list[str]:
        """The event names in order."""
        return [e.name for e in self.events]

    def of(self, name: str) -> list[Event]:
        """Every event with this name."""
        return [e for e in self.events if e.name == name]

    async def wait(
        self,
        name: str,
        where: Callable[[Event], bool] = lambda e: True,
        *,
        count: int = 1,
        timeout: float = TIMEOUT,
    ) -> Event:
        """Waits until `count` events named `name` (and matching `where`) happened; returns the last."""
        async with asyncio.timeout(timeout):
            while True:
                found = [e for e in self.events if e.name == name and where(e)]
                if len(found) >= count:
                    return found[count - 1]
                self._changed.clear()
                await self._changed.wait()


def agent_config(server_url: str | None = None, **changes: Any) -> AgentConfig:
    """An agent configuration for tests: loopback only, fast stats."""
    peer = PeerOptions(ice_hosts=LOOPBACK, connect_timeout=changes.pop("connect_timeout", 15.0))
    if "prefer_codec" in changes:
        peer = replace(peer, prefer_codec=changes.pop("prefer_codec"))
    base = AgentConfig(
        server_url=server_url, listen_host="127.0.0.1", listen_port=0, peer=peer, stats_interval=1.0
    )
    return replace(base, **changes)


def phone_options(**changes: Any) -> PhoneOptions:
    """Simulated phone options for tests: loopback only, a small picture."""
    source = changes.pop("source", SourceOptions(width=320, height=240, fps=30))
    return replace(PhoneOptions(ice_hosts=LOOPBACK, source=source), **changes)


@pytest.fixture
async def server() -> AsyncIterator[SignalingServer]:
    """Our signaling server on a free loopback port. Tests list it before make_agent/make_phone so that
    it is torn down after them: clients leave first, as they would in real life."""
    srv = SignalingServer(ServerConfig(host="127.0.0.1", port=0, sweep_interval=0.2))
    await srv.start()
    yield srv
    await asyncio.wait_for(srv.stop(), 10)


AgentFactory = Callable[..., Awaitable[tuple[Agent, EventLog]]]
PhoneFactory = Callable[..., Awaitable[SimulatedPhone]]


@pytest.fixture
async def make_agent() -> AsyncIterator[AgentFactory]:
    """Starts agents (stopped at the end of the test); returns (agent, its event log)."""
    agents: list[Agent] = []

    async def make(config: AgentConfig | None = None, **changes: Any) -> tuple[Agent, EventLog]:
        agent = Agent(config or agent_config(**changes))
        log = EventLog(agent)
        agents.append(agent)
        await agent.start()
        return agent, log

    yield make
    for agent in agents:
        await agent.stop()


@pytest.fixture
async def make_phone() -> AsyncIterator[PhoneFactory]:
    """Starts simulated phones (they leave at the end of the test)."""
    phones: list[SimulatedPhone] = []

    async def make(server_url: str, code: str, start: bool = True, **changes: Any) -> SimulatedPhone:
        phone = SimulatedPhone(server_url, code, phone_options(**changes))
        phones.append(phone)
        if start:
            await phone.start()
        return phone

    yield make
    for phone in phones:
        await phone.leave()


def ws_url_of(agent: Agent) -> str:
    """The WebSocket URL of the server the agent uses."""
    assert agent.client is not None
    return agent.client.url


async def frames_from(
    agent: Agent, count: int, after_attempt: int = 0, timeout: float = TIMEOUT
) -> list[Any]:
    """The next `count` frames (of a connection attempt later than `after_attempt`) via the public API."""
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            frame = await agent.next_frame()
            if frame.meta.attempt > after_attempt:
                out.append(frame)
    return out
