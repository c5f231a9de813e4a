"""The simulated phone against a server that serves HTTPS/WSS with its self-signed certificate (the
agent's default on the LAN, forced here on 127.0.0.1 with tls=True): it trusts that certificate with
--cafile, over the WebSocket and over REST; an untrusted certificate is a clear error."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from desktop_receiver.urls import phone_page_target
from signaling import tls
from tests.procs import free_port
from tests.receiver.conftest import TIMEOUT, agent_config, frames_from

ROOT = Path(__file__).resolve().parents[2]
PHONE = str(ROOT / "scripts" / "simulate_phone.py")
PICTURE = ["--size", "320x240", "--fps", "15", "--ice-host", "127.0.0.1"]


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The self-signed certificate goes to the test's folder, not the user's config directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path / "dartcam"


async def _phone(*args: str, duration: float = 20.0) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, PHONE, *args, *PICTURE, "--duration", str(duration),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _ended(proc: asyncio.subprocess.Process) -> str:
    """The phone's stderr once it has exited by itself."""
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    return err.decode()


async def _tls_agent(make_agent):
    agent, events = await make_agent(agent_config(tls=True))
    assert agent.server is not None and agent.server.http_url.startswith("https://")
    return agent, events


@pytest.mark.parametrize("transport", ["ws", "rest"])
async def test_phone_trusting_the_agents_certificate_streams_over_tls(config_home, make_agent, transport):
    agent, events = await _tls_agent(make_agent)
    code = await events.wait("code")
    # The agent says where its certificate is; that is the file the phone is given.
    assert code.certificate == str(config_home / tls.CERT_NAME)
    if transport == "ws":
        where = ["--server", agent.server.ws_url, "--code", agent.code]
        assert where[1].startswith("wss://")
    else:
        where = ["--url", code.url, "--transport", "rest"]
        assert code.url.startswith("https://127.0.0.1:")
    proc = await _phone(*where, "--cafile", code.certificate)
    try:
        frames = await frames_from(agent, 5)
        assert frames[-1].image.shape == (240, 320, 3)
    finally:
        proc.terminate()
        err = await _ended(proc)
    assert proc.returncode == 0, err
    assert f"joined {agent.code} via {transport}" in err


async def test_untrusted_certificate_is_a_clear_error_and_insecure_is_loud(config_home, make_agent, tmp_path):
    agent, events = await _tls_agent(make_agent)
    await events.wait("code")
    server = ["--server", agent.server.http_url, "--code", agent.code]
    # The system's authorities, and another self-signed certificate, both refuse the agent's.
    other = tls.self_signed(["127.0.0.1"], tmp_path / "other").cert
    for trust in ([], ["--cafile", str(other)]):
        proc = await _phone(*server, "--transport", "rest", *trust)
        err = await _ended(proc)
        assert proc.returncode == 1, err
        assert "certificate is not trusted" in err and "--cafile" in err and "--insecure" in err
        assert "Traceback" not in err
    # Plain ws:// to the TLS server: told to use wss://.
    proc = await _phone("--server", agent.server.ws_url.replace("wss:", "ws:"), "--code", agent.code)
    err = await _ended(proc)
    assert proc.returncode == 1 and "use https:// or wss://" in err and "Traceback" not in err
    proc = await _phone(*server, "--insecure", duration=1.0)
    err = await _ended(proc)
    assert proc.returncode == 0, err
    assert "WARNING: --insecure" in err and f"joined {agent.code} via ws" in err


def test_phone_url_gives_server_and_code() -> None:
    assert phone_page_target("https://192.168.1.23:8787/mobile-cam.html?code=ABCDEF") == (
        "https://192.168.1.23:8787",
        "ABCDEF",
    )
    assert phone_page_target("https://h:1/phone?code=XY&server=wss://o:2/ws") == ("wss://o:2/ws", "XY")
    for bad in ("https://h:1/mobile-cam.html", "ftp://h/mobile-cam.html?code=A", "ABCDEF"):
        with pytest.raises(ValueError):
            phone_page_target(bad)


async def test_signaling_process_names_its_certificate_and_the_phone_trusts_it(config_home):
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "signaling", "--host", "127.0.0.1", "--port", str(port), "--tls",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=str(ROOT),
    )  # fmt: skip
    try:
        lines = []
        async with asyncio.timeout(TIMEOUT):
            while not (lines and lines[-1].startswith("Certificate:")):
                line = await server.stdout.readline()
                assert line, f"the server exited before naming its certificate: {lines}"
                lines.append(line.decode().strip())
        cert = str(config_home / tls.CERT_NAME)
        assert (
            lines[0] == f"Phone page: https://127.0.0.1:{port}/mobile-cam.html (it asks for the pairing code)"
        )
        assert lines[-1].startswith(f"Certificate: {cert} ")
        # No desktop made this code: the server refusing it proves the TLS handshake went through.
        proc = await _phone("--url", f"https://127.0.0.1:{port}/phone?code=ABCDEF", "--cafile", cert)
        err = await _ended(proc)
        assert proc.returncode == 1 and "join refused: INVALID_CODE" in err, err
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), TIMEOUT)
