"""Exactly once through a half-open socket (the ack extension): the agent's signaling socket runs
through a proxy process that the test freezes (SIGSTOP) while the phone's messages flow. What the
server writes meanwhile sits in the frozen proxy's socket buffers and never arrives. The agent's
heartbeat times the socket out, the frozen proxy is killed (those bytes die with it), a new one takes
its port, and the agent resumes on a new socket: every message arrives exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from desktop_receiver.pairing.client import SignalingClient
from desktop_receiver.pairing.interface import ClientListener, ClientOptions, PairingInfo
from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.procs import ProxyProcess, RedisProcess
from tests.signaling.conftest import candidate

TOTAL = 90
BEFORE, FROZEN = 30, 30  # sent before the freeze, while frozen; the rest after the resume
INTERVAL = 0.04  # 25 messages/s, under the server's 30/s per socket
TIMEOUT = 30.0


class Recorder(ClientListener):
    """What the agent's signaling client hands to the agent."""

    def __init__(self) -> None:
        self.code: asyncio.Future[PairingInfo] = asyncio.get_running_loop().create_future()
        self.numbers: list[int] = []
        self.disconnects = 0
        self.resumes = 0
        self.arrived = asyncio.Event()

    def on_code(self, info: PairingInfo, renewed: bool, reason: str | None) -> None:
        if not self.code.done():
            self.code.set_result(info)

    def on_message(self, msg: dict[str, Any]) -> None:
        if msg.get("type") == "cam-ice":
            self.numbers.append(int(msg["payload"]["candidate"].split()[0].removeprefix("candidate:")))
            self.arrived.set()

    def on_disconnected(self, attempt: int, delay: float, reason: str) -> None:
        self.disconnects += 1

    def on_resumed(self, info: PairingInfo) -> None:
        self.resumes += 1


@pytest.fixture(params=["memory", "redis"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[SignalingServer]:
    """Our server on either store (a redis-server of its own for the Redis one)."""
    redis = RedisProcess().start() if request.param == "redis" else None
    config = ServerConfig(
        host="127.0.0.1", port=0, sweep_interval=0.2, redis_url=redis.url if redis else None
    )
    srv = SignalingServer(config)
    await srv.start()
    yield srv
    await asyncio.wait_for(srv.stop(), 10)
    if redis is not None:
        redis.cleanup()


@pytest.fixture
def proxy(server: SignalingServer) -> Any:
    p = ProxyProcess(server.port).start()
    yield p
    p.kill()


async def until(condition: Any, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_every_message_reaches_the_agent_once_in_order_through_a_half_open_socket(
    server: SignalingServer, proxy: ProxyProcess
) -> None:
    recorder = Recorder()
    options = ClientOptions(heartbeat=0.6, connect_timeout=2.0, backoff_initial=0.1, backoff_max=0.3)
    client = SignalingClient(f"ws://127.0.0.1:{proxy.port}/ws", recorder, options)
    await client.start()
    http = aiohttp.ClientSession()
    try:
        code = (await asyncio.wait_for(recorder.code, TIMEOUT)).code
        phone = await http.ws_connect(server.ws_url)
        await phone.send_str(json.dumps({"type": "cam-join", "code": code, "payload": None}))
        assert json.loads((await phone.receive(timeout=5)).data)["type"] == "cam-joined"

        async def send(numbers: range) -> None:
            for n in numbers:
                await phone.send_str(json.dumps({"type": "cam-ice", "code": code, "payload": candidate(n)}))
                await asyncio.sleep(INTERVAL)

        await send(range(1, BEFORE + 1))
        await until(lambda: len(recorder.numbers) >= BEFORE, "the messages before the freeze")
        proxy.pause()
        await send(range(BEFORE + 1, BEFORE + FROZEN + 1))
        received_while_frozen = len(recorder.numbers) - BEFORE
        await until(lambda: recorder.disconnects >= 1, "the agent's heartbeat to time the socket out")
        # What the server wrote into the frozen proxy is gone with it. (In threads: the server runs
        # on this loop.)
        await asyncio.to_thread(proxy.kill)
        await asyncio.to_thread(proxy.start)
        await send(range(BEFORE + FROZEN + 1, TOTAL + 1))
        await until(lambda: len(recorder.numbers) >= TOTAL, f"all {TOTAL} messages")
        await asyncio.sleep(0.5)  # anything that would come twice comes now
        assert received_while_frozen == 0  # the freeze really held them back
        assert recorder.resumes >= 1
        assert recorder.numbers == list(range(1, TOTAL + 1))
        # It acknowledged everything it has, on the new socket.
        assert client.acks.acked == client.acks.seen > 0
        await phone.close()
    finally:
        await http.close()
        await client.stop()
