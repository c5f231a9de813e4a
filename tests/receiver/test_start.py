"""How the agent's start ends against a server that never answers: the connect is bounded by
connect_timeout, the client's give-up reason wins over start_timeout, and a stop (Ctrl-C) during the
start is a stop, not a failure."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator

import pytest

from desktop_receiver.agent import Agent, AgentError
from desktop_receiver.pairing.interface import ClientOptions
from tests.receiver.conftest import TIMEOUT, agent_config
from tests.receiver.test_cli import _agent_process, _stop

QUICK = ClientOptions(connect_timeout=0.3, give_up_after=1.0, backoff_initial=0.1, backoff_max=0.2)


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts TCP connections and never says a word (no HTTP upgrade)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws"
    for writer in held:
        writer.close()
    server.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 2)


async def test_a_silent_server_is_given_up_on_with_the_clear_reason(silent_server):
    # start_timeout is shorter than give_up_after: the start still waits for the client's verdict.
    agent = Agent(agent_config(silent_server, client=QUICK, start_timeout=0.5))
    events = []
    agent.subscribe(events.append)
    began = time.monotonic()
    with pytest.raises(AgentError, match="unreachable"):
        await agent.start()
    assert time.monotonic() - began < 10  # not aiohttp's minutes-long default connect time-out
    reasons = [e.reason for e in events if e.name == "reconnecting"]
    assert reasons and all("no answer within 0.3 s" in r for r in reasons)


async def test_stop_during_start_is_not_a_failure(silent_server):
    agent = Agent(agent_config(silent_server, client=QUICK, start_timeout=30.0))
    starting = asyncio.ensure_future(agent.start())
    await asyncio.sleep(0.3)
    await agent.stop(reason="interrupted")
    await asyncio.wait_for(starting, TIMEOUT)  # returns, no AgentError
    assert agent.code is None and agent.fatal is None


async def test_ctrl_c_during_start_exits_zero():
    # Port 9 refuses at once: the agent keeps retrying (give-up 30 s), reporting each failure.
    proc = await _agent_process("--server", "ws://127.0.0.1:9/ws", "--events", "-", "--no-qr")
    try:
        async with asyncio.timeout(TIMEOUT):
            first = await proc.stdout.readline()
            assert b"reconnecting" in first
            proc.send_signal(signal.SIGINT)
            out, err = await proc.communicate()
    finally:
        await _stop(proc)
    assert proc.returncode == 0, err.decode()
    assert b'"stopped"' in out and b"SIGINT" in out and b"Traceback" not in err
