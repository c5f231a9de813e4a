"""The server as a real process: the command line, environment configuration, and a full pairing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import aiohttp
import pytest

from tests.procs import SignalingProcess


@pytest.fixture
def server_process() -> Iterator[SignalingProcess]:
    server = SignalingProcess(env={"DARTCAM_CODE_LENGTH": "8", "DARTCAM_LOG_LEVEL": "INFO"})
    yield server
    server.stop()


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


@pytest.mark.parametrize(
    ("env", "args", "words"),
    [
        ({"DARTCAM_PORT": "abc"}, [], "DARTCAM_PORT='abc': not a whole number"),
        ({"DARTCAM_TLS": "ture"}, [], "DARTCAM_TLS='ture': not a yes/no value"),
        ({}, ["--grace", "soon"], "--grace: 'soon': not a number"),
    ],
)
def test_bad_configuration_is_named_and_refused(env: dict[str, str], args: list[str], words: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signaling", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=30,
    )
    assert done.returncode == 2 and words in done.stderr, done.stderr


async def test_real_process_pairs_and_logs_events(server_process: SignalingProcess) -> None:
    async with aiohttp.ClientSession() as http:
        desktop = await http.ws_connect(server_process.ws_url)
        await desktop.send_json({"type": "cam-create"})
        code_msg = await desktop.receive_json(timeout=5)
        assert len(code_msg["code"]) == 8  # from the environment
        phone = await http.ws_connect(server_process.ws_url)
        await phone.send_json({"type": "cam-join", "code": code_msg["code"], "payload": None})
        assert (await phone.receive_json(timeout=5))["type"] == "cam-joined"
        assert (await desktop.receive_json(timeout=5))["type"] == "cam-peer-joined"
        await phone.close()
        assert (await desktop.receive_json(timeout=5))["type"] == "cam-peer-left"
        await desktop.close()
    await asyncio.sleep(0.2)
    server_process.stop(keep_log=True)
    log = server_process.log()
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    for name in ("session-created", "session-joined", "peer-left"):
        assert name in names
    created = next(e for e in events if e["event"] == "session-created")
    assert created["code"] == code_msg["code"] and created["role"] == "desktop"
