"""The phone page's files as the server serves them: every file of signaling/static/ at /static/, the
ES modules with a JavaScript content type (a browser refuses a module script served as anything else).
No browser here: aiohttp is the client, on 127.0.0.1."""

from __future__ import annotations

import aiohttp

from signaling.app import STATIC_DIR
from signaling.config import ServerConfig
from signaling.server import SignalingServer

CONTENT_TYPES = {".js": {"application/javascript", "text/javascript"}, ".css": {"text/css"}}


async def test_every_static_file_is_served_with_its_content_type() -> None:
    files = sorted(p for p in STATIC_DIR.iterdir() if p.is_file())
    assert {p.suffix for p in files} <= {*CONTENT_TYPES, ".html"}
    server = SignalingServer(ServerConfig(host="127.0.0.1", port=0))
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            for path in files:
                async with http.get(f"{server.http_url}/static/{path.name}") as resp:
                    assert resp.status == 200, path.name
                    assert await resp.read() == path.read_bytes(), path.name
                    if path.suffix in CONTENT_TYPES:
                        assert resp.content_type in CONTENT_TYPES[path.suffix], (path.name, resp.content_type)
    finally:
        await server.stop()
