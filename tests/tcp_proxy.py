"""A TCP proxy as a process of its own, for tests that black-hole a socket: SIGSTOP freezes it (the
kernel still takes what the server writes, and nothing arrives at the other end, as on a half-open
socket), SIGKILL drops every connection through it at once.

    python -m tests.tcp_proxy LISTEN_PORT TARGET_PORT      # both on 127.0.0.1; prints "ready"
"""

from __future__ import annotations

import asyncio
import contextlib
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def serve(listen_port: int, target_port: int) -> None:
    """Forwards 127.0.0.1:listen_port to 127.0.0.1:target_port until killed."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    # reuse_address: a new proxy takes the port of a killed one at once.
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, reuse_address=True)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
