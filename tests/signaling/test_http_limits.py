"""Oversized and slow HTTP requests, sent as raw bytes on a socket: a body larger than the limit is
refused without being read, a body or a header block that trickles in is cut off after a bounded
time, and while it trickles every other client is served as usual. On both stores."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from tests.signaling.conftest import Harness, offer

JOIN = {"type": "cam-join", "payload": None, "source": "phone"}


async def _open(srv: Harness) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", srv.server.port)


def _head(srv: Harness, path: str, extra: str) -> bytes:
    host = f"127.0.0.1:{srv.server.port}"
    return f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}\r\n".encode()


async def _status_line(reader: asyncio.StreamReader, timeout: float) -> tuple[int, bytes]:
    """The response's status and what arrived with it."""
    async with asyncio.timeout(timeout):
        head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every: float) -> None:
    """Writes one byte at a time until done or the server hangs up."""
    with contextlib.suppress(ConnectionError):
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(every)


async def _pair_and_relay(srv: Harness) -> float:
    """A fresh pairing with one relayed offer; returns how long it took."""
    started = time.monotonic()
    desktop, code_msg = await srv.desktop()
    phone, _ = await srv.phone(code_msg["code"])
    await phone.send({"type": "cam-offer", "code": code_msg["code"], "payload": offer(7)})
    assert (await desktop.recv("cam-offer"))["payload"] == offer(7)
    took = time.monotonic() - started
    await phone.close()
    await desktop.close()
    return took


async def test_a_trickling_body_times_out_and_blocks_nobody(make_server) -> None:
    srv = await make_server(body_timeout=1.0)
    desktop, code_msg = await srv.desktop()
    code = code_msg["code"]
    _, joined = await srv.post(f"/cam/signal/{code}", JOIN)
    await desktop.recv("cam-peer-joined")
    body = json.dumps(
        {"type": "cam-offer", "payload": offer(1), "resumeToken": joined["resumeToken"]}
    ).encode()
    reader, writer = await _open(srv)
    started = time.monotonic()
    writer.write(_head(srv, f"/cam/signal/{code}", f"Content-Length: {len(body)}\r\n"))
    # At 10 bytes/s the body would take tens of seconds.
    trickle = asyncio.create_task(_trickle(writer, body, 0.1))
    try:
        # Meanwhile the server pairs others as fast as ever (and this session's phone polls).
        for _ in range(3):
            assert await _pair_and_relay(srv) < 1.0
        assert (await srv.get(f"/cam/signal/{code}", joined["resumeToken"]))[0] == 200
        status, _ = await _status_line(reader, 4.0)
        took = time.monotonic() - started
        assert status == 400 and 0.9 <= took < 3.0, (status, took)
        # The half-sent offer never reaches the desktop.
        await desktop.expect_silence(0.5)
    finally:
        trickle.cancel()
        writer.close()


async def test_oversized_bodies_are_refused_without_being_read(make_server) -> None:
    srv = await make_server(max_message_bytes=2048)
    _, code_msg = await srv.desktop()
    path = f"/cam/signal/{code_msg['code']}"
    # A declared length past the limit: refused at once, whether or not the body ever comes.
    reader, writer = await _open(srv)
    writer.write(_head(srv, path, "Content-Length: 10000000000\r\n"))
    await writer.drain()
    status, _ = await _status_line(reader, 2.0)
    assert status == 413
    writer.close()
    # No length (chunked): the server stops reading once past the limit.
    reader, writer = await _open(srv)
    writer.write(_head(srv, path, "Transfer-Encoding: chunked\r\n"))
    chunk = b"x" * 1024
    with contextlib.suppress(ConnectionError):
        for _ in range(64):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
    status, _ = await _status_line(reader, 3.0)
    assert status == 413
    writer.close()
    assert (await srv.get("/healthz"))[0] == 200


async def test_idle_and_trickling_connections_are_closed(make_server) -> None:
    srv = await make_server(idle_timeout=1.0)
    started = time.monotonic()
    # One that never sends a byte, and one whose header lines trickle in (slowloris).
    idle_reader, idle_writer = await _open(srv)
    slow_reader, slow_writer = await _open(srv)
    slow_head = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{srv.server.port}\r\n" + "X-Slow: 1\r\n" * 100
    trickle = asyncio.create_task(_trickle(slow_writer, slow_head.encode(), 0.05))
    try:
        assert await _pair_and_relay(srv) < 1.0
        async with asyncio.timeout(4.0):
            assert await idle_reader.read() == b""  # closed by the server, nothing sent
            assert await slow_reader.read() == b""
        assert time.monotonic() - started < 3.5
        assert not trickle.done() or trickle.exception() is None
    finally:
        trickle.cancel()
        idle_writer.close()
        slow_writer.close()
    # A connection that keeps asking is served for as long as it asks.
    for _ in range(3):
        assert (await srv.get("/healthz"))[0] == 200
        await asyncio.sleep(0.6)
