"""Hundreds of idle sockets against a real server process (`python -m signaling`, on both stores):
300 TCP connections that never send a request and 300 WebSockets that never say anything. The server
keeps serving and pairing while they are open, and closes the idle TCP connections after
--idle-timeout (aiohttp's own default kept them for an hour). The server starts with a soft limit of
open files below what they need, as on many desktops (1024): it raises its own to the hard limit."""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Iterator

import aiohttp
import pytest

from tests.procs import SignalingProcess
from tests.signaling.conftest import offer

IDLE_TCP = 300
IDLE_WS = 300
IDLE_TIMEOUT = 3.0
# Each connection is a descriptor here and one in the server; plus the test's own.
FDS_NEEDED = 2 * (IDLE_TCP + IDLE_WS) + 200
# The server inherits this soft limit; IDLE_TCP + IDLE_WS sockets would not fit in it.
LOW_SOFT_LIMIT = 512


@pytest.fixture
def enough_files() -> Iterator[None]:
    """Raises this process's soft limit of open files when it is too low for the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FDS_NEEDED:
        if hard != resource.RLIM_INFINITY and hard < FDS_NEEDED:
            raise RuntimeError(
                f"the hard limit of open files ({hard}) is below the {FDS_NEEDED} this test needs"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (FDS_NEEDED, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def server(backend: str | None, enough_files: None) -> Iterator[SignalingProcess]:
    args = ["--idle-timeout", str(IDLE_TIMEOUT)] + (["--redis", backend] if backend else [])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_SOFT_LIMIT, hard))
    try:
        proc = SignalingProcess(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    yield proc
    proc.stop()


async def _pair(http: aiohttp.ClientSession, server: SignalingProcess) -> float:
    """A desktop and a phone pair and relay an offer; returns how long it took."""
    started = time.monotonic()
    desktop = await http.ws_connect(server.ws_url)
    phone = await http.ws_connect(server.ws_url)
    try:
        await desktop.send_json({"type": "cam-create"})
        code = (await desktop.receive_json(timeout=5))["code"]
        await phone.send_json({"type": "cam-join", "code": code, "payload": None})
        assert (await phone.receive_json(timeout=5))["type"] == "cam-joined"
        assert (await desktop.receive_json(timeout=5))["type"] == "cam-peer-joined"
        await phone.send_str(json.dumps({"type": "cam-offer", "code": code, "payload": offer(3)}))
        assert (await desktop.receive_json(timeout=5))["payload"] == offer(3)
    finally:
        await phone.close()
        await desktop.close()
    return time.monotonic() - started


async def _open_connections(server: SignalingProcess) -> int:
    async with aiohttp.ClientSession() as http, http.get(server.http_url + "/metrics") as resp:
        text = await resp.text()
    line = next(line for line in text.splitlines() if line.startswith("dartcam_open_connections "))
    return int(float(line.split()[1]))


async def test_hundreds_of_idle_sockets_leave_the_server_serving(server: SignalingProcess) -> None:
    async with asyncio.timeout(60), aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets = [await http.ws_connect(server.ws_url, heartbeat=None) for _ in range(IDLE_WS)]
        # Then the TCP ones: past its file limit, the server could accept none of them (nor anybody
        # else) until some closed.
        tcp = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(IDLE_TCP)]
        opened = time.monotonic()
        try:
            # With all of them open, pairing is as quick as ever, several times over (and before
            # the server closes any of them: at its file limit a new client would wait for that).
            took = [await _pair(http, server) for _ in range(3)]
            assert time.monotonic() - opened < IDLE_TIMEOUT
            assert await _open_connections(server) >= IDLE_WS
            print(f"pairing with {IDLE_TCP} idle TCP and {IDLE_WS} idle sockets open: {took} s")
            assert max(took) < 1.0
            async with http.get(server.http_url + "/healthz") as resp:
                assert resp.status == 200
            # The idle TCP connections are closed by the server after --idle-timeout, every one.
            for reader, _ in tcp:
                assert await asyncio.wait_for(reader.read(), IDLE_TIMEOUT + 10) == b""
            assert time.monotonic() - opened < IDLE_TIMEOUT + 10
            # The sockets stay (they are answered, and pings would show a dead one), and the server
            # pairs on.
            assert not any(ws.closed for ws in sockets)
            assert await _pair(http, server) < 1.0
        finally:
            for _, writer in tcp:
                writer.close()
            await asyncio.gather(*(ws.close() for ws in sockets))
    assert '"internal-error"' not in server.log()
