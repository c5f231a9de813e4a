"""Runs the signaling server inside an existing event loop: for the agent's embedded server and tests."""

from __future__ import annotations

import socket
import time

from aiohttp import web

from signaling import tls
from signaling.app import SERVICE_KEY, create_app
from signaling.config import WILDCARD_HOSTS, ServerConfig
from signaling.limits import raise_open_files_limit
from signaling.protocol import WS_PATH
from signaling.service import Clock, SignalingService


class SignalingServer:
    """Starts and stops one server instance; `port` is the bound port (config.port 0 picks a free one).
    `clock` (epoch seconds) is what sessions expire on: tests pass their own to move time."""

    def __init__(self, config: ServerConfig | None = None, clock: Clock = time.time) -> None:
        self.config = config or ServerConfig()
        self.clock = clock
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.cert_files: tls.CertFiles | None = None  # with config.tls: the certificate served

    async def start(self) -> None:
        """Binds and serves (HTTPS and WSS with config.tls)."""
        raise_open_files_limit()
        ssl_context = None
        if self.config.tls:
            self.cert_files = tls.cert_files(self.config)
            ssl_context = tls.server_context(self.cert_files)
        # Bound before the app is made: with TLS the phone URL names the port, which port 0 picks here.
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.create_server((self.config.host, self.config.port), family=family)
        self.port = sock.getsockname()[1]
        self.config = tls.with_public_url(self.config, self.port)
        self._runner = web.AppRunner(
            create_app(self.config, self.clock),
            access_log=None,
            shutdown_timeout=self.config.shutdown_timeout,
            # aiohttp's own default keeps a connection that never sends a request for an hour.
            keepalive_timeout=self.config.idle_timeout,
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=ssl_context).start()

    @property
    def service(self) -> SignalingService:
        """The running server's pairing service (its sessions, e.g. for a test to read a token)."""
        if self._runner is None:
            raise RuntimeError("the server is not running")
        return self._runner.app[SERVICE_KEY]

    @property
    def http_url(self) -> str:
        """The server's base URL as a local client reaches it."""
        host = "127.0.0.1" if self.config.host in WILDCARD_HOSTS else self.config.host
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL as a local client reaches it."""
        return self.http_url.replace("http", "ws", 1) + WS_PATH

    async def stop(self) -> None:
        """Closes every socket and stops serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
