"""Runs the signaling server inside an existing event loop: for the agent's embedded server and tests."""

from __future__ import annotations

from aiohttp import web

from signaling.app import create_app
from signaling.config import ServerConfig


class SignalingServer:
    """Starts and stops one server instance; `port` is the bound port (config.port 0 picks a free one)."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Binds and serves."""
        self._runner = web.AppRunner(create_app(self.config), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, ssl_context=None)
        await site.start()
        server = site._server  # aiohttp exposes no public accessor for the bound sockets
        self.port = server.sockets[0].getsockname()[1] if server and server.sockets else self.config.port

    @property
    def http_url(self) -> str:
        """The server's base URL as a local client reaches it."""
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "") else self.config.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL as a local client reaches it."""
        return self.http_url.replace("http", "ws", 1) + "/ws"

    async def stop(self) -> None:
        """Closes every socket and stops serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
