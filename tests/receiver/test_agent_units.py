"""Agent and signaling-client pieces with stand-ins for the socket and the server: what happens to the
calibration on a new code, and to queued messages when a send fails."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from desktop_receiver.agent import Agent
from desktop_receiver.pairing.client import SignalingClient
from desktop_receiver.pairing.interface import ClientListener, PairingInfo
from signaling.protocol import MsgType, relayed
from tests.receiver.conftest import agent_config

CALIBRATION = {"H": [1.0, 0, 0, 0, 1, 0, 0, 0, 1], "imageSize": {"w": 640, "h": 480}}


class _Client:
    """A stand-in for the agent's signaling client (Agent's client_factory): its first code is FIRSTC."""

    def __init__(self, url: str, listener: ClientListener, options: Any) -> None:
        self.listener = listener
        self.sent: list[dict[str, Any]] = []
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.renewals: list[str] = []

    async def send(self, msg: dict[str, Any]) -> None:
        self.sent.append(msg)

    async def post_calibration(self, code: str, calibration: dict[str, Any]) -> None:
        self.posted.append((code, calibration))

    async def renew(self, reason: str) -> None:
        self.renewals.append(reason)

    async def start(self) -> None:
        self.listener.on_code(PairingInfo("FIRSTC", None, None, "http://x/"), renewed=False, reason=None)

    async def stop(self) -> None:
        pass


async def _agent() -> tuple[Agent, _Client]:
    agent = Agent(agent_config("ws://127.0.0.1:9/ws"), client_factory=_Client)
    await agent.start()
    assert isinstance(agent.client, _Client)
    return agent, agent.client


async def _settle(agent: Agent) -> None:
    await asyncio.gather(*agent._background)


async def test_a_renewed_code_gets_the_current_calibration_again():
    agent, client = await _agent()
    calibration = SimpleNamespace(to_cam_calibration=lambda: CALIBRATION)
    agent.calibrator = SimpleNamespace(current=calibration)  # type: ignore[assignment]
    await _settle(agent)
    assert client.sent == [] and client.posted == []  # a first code: nothing was published before it
    agent.on_code(PairingInfo("SECOND", None, None, "http://x/"), renewed=True, reason="test")
    await _settle(agent)
    assert client.sent == [relayed(MsgType.CALIBRATION, "SECOND", CALIBRATION)]
    assert client.posted == [("SECOND", CALIBRATION)]
    await agent.stop()


class _DyingSocket:
    closed = False

    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send_str(self, data: str) -> None:
        if self.frames:
            raise ConnectionResetError("gone")
        self.frames.append(data)


async def test_a_queued_message_stays_queued_when_its_send_fails():
    client = SignalingClient("ws://127.0.0.1:9/ws", ClientListener())
    client.info = PairingInfo("ABCDEF", None, "token", "http://x/")
    first, second = relayed(MsgType.DATA, "ABCDEF", 1), relayed(MsgType.DATA, "ABCDEF", 2)
    client._pending.extend([first, second])
    client._ws = _DyingSocket()  # type: ignore[assignment]
    with pytest.raises(ConnectionResetError):
        await client._flush()
    assert list(client._pending) == [second]  # the first went out, the second is kept for the next socket


async def test_a_renewed_code_is_renewed_again_when_it_expires_unused():
    agent, client = await _agent()
    assert agent.negotiator is not None
    agent.negotiator.joined_at = 1.0  # a phone joined the first code (and left; the code was replaced)
    agent.renewal.expired("FIRSTC")
    await _settle(agent)
    assert client.renewals == []  # a code a phone joined lives on
    agent.on_code(PairingInfo("SECOND", None, None, "http://x/"), renewed=True, reason="test")
    agent.renewal.expired("SECOND")
    await _settle(agent)
    assert client.renewals == ["the code expired with no phone"]
    await agent.stop()
