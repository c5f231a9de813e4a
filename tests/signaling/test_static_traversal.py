"""Path traversal on the static files: raw HTTP requests (an HTTP client library would normalise the
paths first) with `..` plain, percent-encoded, double-encoded and with backslashes, absolute paths,
and symlinks out of the served folder. Nothing outside signaling/static may come back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from signaling.app import STATIC_DIR, add_phone_page
from signaling.config import ServerConfig
from signaling.server import SignalingServer

# What a leak would show: this repository's source, and a system file.
SOURCE_MARK = b"def create_app"
SYSTEM_MARK = b"root:"
TRAVERSALS = [
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/%2E%2E/app.py",
    "/static/%2e%2e%2fapp.py",
    "/static/..%2fapp.py",
    "/static/..%5capp.py",
    "/static/..\\app.py",
    "/static/%252e%252e/app.py",
    "/static/....//app.py",
    "/static/.%2e/.%2e/signaling/app.py",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/../../../../../../etc/passwd",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2Fetc/passwd",
    "/static/" + str(STATIC_DIR.parent / "app.py"),
    "/static/file:///etc/passwd",
    "/mobile-cam.html/../app.py",
    "/phone/%2e%2e/app.py",
    "//etc/passwd",
    "/../../../../etc/passwd",
    "/static/%00../app.py",
    "/static/phone.js%00.html",
]


async def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """One GET with the request target sent exactly as given; the status and the whole response."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
    return status, data


@pytest.fixture
async def server() -> AsyncIterator[SignalingServer]:
    server = SignalingServer(ServerConfig(host="127.0.0.1", port=0))
    await server.start()
    yield server
    await server.stop()


async def test_no_traversal_out_of_the_static_folder(server: SignalingServer) -> None:
    assert server.port is not None
    status, body = await raw_get(server.port, "/static/phone.js")
    assert status == 200 and body.endswith((STATIC_DIR / "phone.js").read_bytes())  # the route works
    for target in TRAVERSALS:
        status, body = await raw_get(server.port, target)
        assert status in (400, 403, 404), (target, status)
        assert SOURCE_MARK not in body and SYSTEM_MARK not in body, target
    # The server is unharmed.
    assert (await raw_get(server.port, "/healthz"))[0] == 200


async def test_symlinks_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    site, outside = tmp_path / "site", tmp_path / "outside"
    site.mkdir()
    outside.mkdir()
    (site / "mobile-cam.html").write_text("<p>page</p>")
    (site / "page.js").write_text("export const ok = 1;\n")
    (outside / "secret.txt").write_text("SECRET-of-the-machine")
    (site / "leak.js").symlink_to(outside / "secret.txt")
    (site / "sub").symlink_to(outside, target_is_directory=True)
    app = web.Application()
    add_phone_page(app, site)
    runner = web.AppRunner(app)
    await runner.setup()
    site_server = web.TCPSite(runner, "127.0.0.1", 0)
    await site_server.start()
    port = runner.addresses[0][1]
    try:
        assert (await raw_get(port, "/static/page.js"))[0] == 200
        assert (await raw_get(port, "/phone"))[0] == 200
        for target in ("/static/leak.js", "/static/sub/secret.txt", "/static/sub/../sub/secret.txt"):
            status, body = await raw_get(port, target)
            assert status in (403, 404), (target, status)
            assert b"SECRET" not in body, target
    finally:
        await runner.cleanup()
