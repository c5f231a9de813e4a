"""The agent's command line as a process: events on stdout, the dump, the run-length limits, exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import cv2

from desktop_receiver.cli import build_parser
from tests.receiver.conftest import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


async def _agent_process(*args: str) -> asyncio.subprocess.Process:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop_receiver", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def test_run_with_embedded_server_events_dump_and_max_frames(make_phone, tmp_path):
    dump = tmp_path / "dump"
    qr = tmp_path / "qr.png"
    proc = await _agent_process(
        "--listen-host", "127.0.0.1", "--listen-port", "0", "--ice-host", "127.0.0.1",
        "--events", "-", "--max-frames", "40", "--stats-interval", "0.5",
        "--dump", str(dump), "--dump-every", "2", "--dump-max", "3", "--qr", str(qr),
    )  # fmt: skip
    try:
        async with asyncio.timeout(TIMEOUT):
            first = json.loads(await proc.stdout.readline())
            assert first["event"] == "code" and first["code"] in first["url"]
            await make_phone(first["url"].split("/mobile-cam.html")[0], first["code"])
            out, err = await proc.communicate()
    finally:
        await _stop(proc)
    assert proc.returncode == 0, err.decode()
    events = [first] + [json.loads(line) for line in out.decode().splitlines()]
    names = [e["event"] for e in events]
    for name in ("code", "peer-joined", "connected", "first-frame", "stopped"):
        assert name in names
    assert all(isinstance(e["t"], float) for e in events)
    stopped = events[-1]
    assert stopped["event"] == "stopped" and stopped["decoded"] >= 40 and "40 frames" in stopped["reason"]
    # The human-readable output (code, URL, QR) went to stderr, keeping stdout pure JSON lines.
    assert first["code"] in err.decode() and "█" in err.decode()
    records = [json.loads(line) for line in (dump / "frames.jsonl").read_text().splitlines()]
    assert 1 <= len(records) <= 3
    assert {r["file"] for r in records} == {p.name for p in dump.glob("*.png")}
    # OpenCV's classic QRCodeDetector misses about 1 valid code in 100; the ArUco-based one reads them all.
    decoded, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(cv2.imread(str(qr)))
    assert decoded == first["url"]


async def test_duration_ends_the_run_without_a_phone():
    proc = await _agent_process(
        "--listen-host", "127.0.0.1", "--listen-port", "0", "--duration", "0.5", "--events", "-", "--no-qr"
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        await _stop(proc)
    assert proc.returncode == 0
    last = json.loads(out.decode().splitlines()[-1])
    assert last["event"] == "stopped" and "duration" in last["reason"]


async def test_unreachable_server_exits_non_zero_with_the_reason():
    proc = await _agent_process("--server", "ws://127.0.0.1:9/ws", "--give-up", "1", "--no-qr")
    try:
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        await _stop(proc)
    assert proc.returncode == 1
    assert "unreachable" in err.decode()


def test_help_explains_every_option():
    parser = build_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
    text = parser.format_help()
    for flag in (
        "--server",
        "--offer",
        "--ice-host",
        "--stun",
        "--turn",
        "--prefer-codec",
        "--events",
        "--dump-max",
        "--max-frames",
        "--duration",
        "--qr",
        "calibrate",
    ):
        assert flag in text


async def test_port_in_use_exits_non_zero_with_the_reason():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = await _agent_process("--listen-host", "127.0.0.1", "--listen-port", str(port), "--no-qr")
        try:
            _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        finally:
            await _stop(proc)
    assert proc.returncode == 1
    assert "cannot start the signaling server" in err.decode() and "Traceback" not in err.decode()


async def test_calibrate_subcommand_hands_over_to_the_calibration():
    proc = await _agent_process("calibrate", "--help")
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        await _stop(proc)
    assert proc.returncode == 0, err.decode()
    assert "usage: calibrate" in out.decode()
