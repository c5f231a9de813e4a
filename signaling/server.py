"""Runs the signaling server inside an existing event loop: for the agent's embedded server and tests."""

from __future__ import annotations

import asyncio
import socket
import time

from aiohttp import web

from signaling import reach, tls
from signaling.app import SERVICE_KEY, create_app
from signaling.config import WILDCARD_HOSTS, ServerConfig
from signaling.limits import raise_open_files_limit
from signaling.protocol import WS_PATH
from signaling.service import Clock, SignalingService


def bind(host: str, port: int) -> socket.socket:
    """The listening socket. `::` takes IPv4 too where the system can (phones are mostly sent to an
    IPv4 address, and the agent reaches its own server on 127.0.0.1)."""
    if ":" not in host:
        return socket.create_server((host, port), family=socket.AF_INET)
    dual = host == "::" and socket.has_dualstack_ipv6()
    return socket.create_server((host, port), family=socket.AF_INET6, dualstack_ipv6=dual)


class SignalingServer:
    """Starts and stops one server instance; `port` is the bound port (config.port 0 picks a free one).
    `clock` (epoch seconds) is what sessions expire on: tests pass their own to move time."""

    def __init__(self, config: ServerConfig | None = None, clock: Clock = time.time) -> None:
        self.config = config or ServerConfig()
        self.clock = clock
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.reach: reach.Reach | None = None  # after start: TLS or not, and the URLs phones are given

    @property
    def cert_files(self) -> tls.CertFiles | None:
        """The certificate served (None: plain HTTP, or not started)."""
        return self.reach.cert_files if self.reach else None

    async def start(self) -> None:
        """Binds and serves: HTTPS and WSS unless plain HTTP was asked for or the server listens on
        loopback only (config.serves_tls). ValueError for a bad --cert/--key pair."""
        # Bound before the app is made: the phone URL names the port, which port 0 picks here.
        raise_open_files_limit()
        sock = bind(self.config.host, self.config.port)
        self.port = sock.getsockname()[1]
        try:
            # In a thread: it reads the interfaces and may write a new certificate.
            self.config, self.reach = await asyncio.to_thread(reach.resolve, self.config, self.port)
            files = self.reach.cert_files
            ssl_context = tls.server_context(files) if files else None
        except (OSError, ValueError):
            sock.close()
            raise
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
