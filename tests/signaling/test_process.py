"""The server as a real process: the command line, environment configuration, and a full pairing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_process():
    port = free_port()
    env = {**os.environ, "DARTCAM_CODE_LENGTH": "8", "DARTCAM_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "signaling", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("server did not start")
    yield port, proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_help_explains_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "signaling", "--help"], capture_output=True, text=True, check=True
    )
    for flag in (
        "--host",
        "--port",
        "--code-length",
        "--code-ttl",
        "--grace",
        "--heartbeat",
        "--allowed-origin",
    ):
        assert flag in out.stdout
    assert "DARTCAM_PORT" in out.stdout


async def test_real_process_pairs_and_logs_events(server_process) -> None:
    port, proc = server_process
    async with aiohttp.ClientSession() as http:
        desktop = await http.ws_connect(f"ws://127.0.0.1:{port}/ws")
        await desktop.send_json({"type": "cam-create"})
        code_msg = await desktop.receive_json(timeout=5)
        assert len(code_msg["code"]) == 8  # from the environment
        phone = await http.ws_connect(f"ws://127.0.0.1:{port}/ws")
        await phone.send_json({"type": "cam-join", "code": code_msg["code"], "payload": None})
        assert (await phone.receive_json(timeout=5))["type"] == "cam-joined"
        assert (await desktop.receive_json(timeout=5))["type"] == "cam-peer-joined"
        await phone.close()
        assert (await desktop.receive_json(timeout=5))["type"] == "cam-peer-left"
        await desktop.close()
    await asyncio.sleep(0.2)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    for name in ("session-created", "session-joined", "peer-left"):
        assert name in names
    created = next(e for e in events if e["event"] == "session-created")
    assert created["code"] == code_msg["code"] and created["role"] == "desktop"
