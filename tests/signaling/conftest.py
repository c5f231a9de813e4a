"""Fixtures for the signaling tests: a real server on loopback and WebSocket/REST clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
import redis

from signaling.client import Client
from signaling.config import ServerConfig
from signaling.server import SignalingServer
from tests.procs import RedisProcess

# Short timers so expiry and grace can be observed within a test.
FAST = {"sweep_interval": 0.2}


class ManualClock:
    """A clock the test moves instead of waiting: epoch seconds, starting at the real time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingConnection:
    """A connection as the hub sees one, that keeps what it is sent (for tests of the service, the
    hub and the sweeper without sockets)."""

    def __init__(self, conn_id: str, client: Client) -> None:
        self.id = conn_id
        self.client = client
        self.lock = asyncio.Lock()
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise ConnectionError("closed")
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed = True


class WsPeer:
    """A test client on /ws that keeps every received message."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inbox: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send_str(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, type_: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The next message (of a type, skipping others into the inbox)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.receive()
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket ended: {frame.type} {frame.data!r}")
                msg = json.loads(frame.data)
                if type_ is None or msg.get("type") == type_:
                    return msg
                self.inbox.append(msg)

    async def expect_silence(self, seconds: float = 0.3) -> None:
        """Asserts that nothing arrives for a while."""
        try:
            async with asyncio.timeout(seconds):
                frame = await self.ws.receive()
        except TimeoutError:
            return
        raise AssertionError(f"expected no message, got {frame.data!r}")

    async def close(self) -> None:
        await self.ws.close()


class Harness:
    """One server plus a client session to reach it."""

    def __init__(self, server: SignalingServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.url = server.http_url

    async def ws(self, **kwargs: Any) -> WsPeer:
        return WsPeer(await self.http.ws_connect(self.server.ws_url, **kwargs))

    async def desktop(self) -> tuple[WsPeer, dict[str, Any]]:
        """A desktop socket with its session created; returns it and the cam-code message."""
        peer = await self.ws()
        await peer.send({"type": "cam-create"})
        return peer, await peer.recv("cam-code")

    async def phone(self, code: str) -> tuple[WsPeer, dict[str, Any]]:
        peer = await self.ws()
        await peer.send({"type": "cam-join", "code": code, "payload": None})
        return peer, await peer.recv("cam-joined")

    async def post(self, path: str, body: Any, token: str | None = None) -> tuple[int, dict[str, Any]]:
        """POSTs a body; with token, as `Authorization: Bearer`."""
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        async with self.http.post(self.url + path, data=data, headers=bearer(token)) as resp:
            return resp.status, await resp.json()

    async def get(self, path: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
        """GETs a path; with token, as `Authorization: Bearer` (a poll for the token's role)."""
        async with self.http.get(self.url + path, headers=bearer(token)) as resp:
            return resp.status, await resp.json(content_type=None)


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header that presents a role's token over REST."""
    return {"Authorization": f"Bearer {token}"} if token else {}


ServerFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    """One real redis-server for the session's tests (each test starts from an empty database)."""
    server = RedisProcess().start()
    yield server
    server.cleanup()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """Every signaling test runs on both stores: in-process, and Redis (the redis URL)."""
    if request.param == "memory":
        return None
    server: RedisProcess = request.getfixturevalue("redis_server")
    redis.Redis.from_url(server.url).flushall()
    return server.url


@pytest.fixture
async def make_server(backend: str | None) -> AsyncIterator[ServerFactory]:
    """Starts servers with config overrides; stops them all at the end of the test. Servers of one
    test share the backend, so with Redis they are instances of one deployment."""
    servers: list[SignalingServer] = []
    http = aiohttp.ClientSession()

    async def make(clock: Callable[[], float] = time.time, **overrides: Any) -> Harness:
        config = ServerConfig(host="127.0.0.1", port=0, redis_url=backend, **{**FAST, **overrides})
        server = SignalingServer(config, clock)
        await server.start()
        servers.append(server)
        return Harness(server, http)

    yield make
    await http.close()
    for server in servers:
        await asyncio.wait_for(server.stop(), 10)


@pytest.fixture
def clock() -> ManualClock:
    """A clock for the servers of a test, moved by the test."""
    return ManualClock()


@pytest.fixture
async def srv(make_server: ServerFactory) -> Harness:
    """A server with default settings (short sweep interval)."""
    return await make_server()


def offer(sdp_id: int = 0) -> dict[str, Any]:
    return {"type": "offer", "sdp": f"v=0\r\no=- {sdp_id} 2 IN IP4 127.0.0.1\r\n"}


def answer(sdp_id: int = 0) -> dict[str, Any]:
    return {"type": "answer", "sdp": f"v=0\r\no=- {sdp_id} 2 IN IP4 127.0.0.1\r\n"}


def candidate(i: int) -> dict[str, Any]:
    return {
        "candidate": f"candidate:{i} 1 udp 2122260223 127.0.0.1 {50000 + i} typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    }
