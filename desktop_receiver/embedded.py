"""The agent's own signaling server (when no server_url is given): started on the agent's address and
trusted over loopback, stopped without holding the agent's exit, and the ways to reach it that the
``code`` event tells the user."""

from __future__ import annotations

import asyncio
import logging
import ssl

from desktop_receiver.config import AgentConfig
from desktop_receiver.events import CodeEvent
from desktop_receiver.pairing.interface import PairingInfo
from signaling.config import ServerConfig
from signaling.server import SignalingServer
from signaling.tls import client_context

log = logging.getLogger(__name__)


async def start_embedded(config: AgentConfig) -> tuple[SignalingServer, ssl.SSLContext | None]:
    """The started server and the TLS context that trusts exactly the certificate it serves (None without
    TLS). ValueError, with the address, when it cannot start."""
    cfg = ServerConfig(
        host=config.listen_host,
        port=config.listen_port,
        public_url=config.public_url,
        tls=config.tls,
        cert=config.cert,
        key=config.key,
    )
    server = SignalingServer(cfg)
    try:
        await server.start()
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot start the signaling server on {cfg.host}:{cfg.port}: {exc}") from exc
    files = server.cert_files
    return server, client_context(files) if files else None


async def stop_embedded(server: SignalingServer, timeout: float) -> None:
    """Stops ``server``; a backstop: the server bounds its own shutdown, but nothing may hold the agent's
    exit beyond ``timeout`` seconds."""
    try:
        await asyncio.wait_for(server.stop(), timeout)
    except TimeoutError:
        log.warning("embedded signaling server did not stop within %.1f s", timeout)


def code_event(
    info: PairingInfo, renewed: bool, reason: str | None, server: SignalingServer | None
) -> CodeEvent:
    """The ``code`` event for ``info``: with the embedded ``server``, its other URLs for this code, whether
    its certificate is self-signed and that certificate's file (nothing is known of another server's)."""
    reach = server.reach if server is not None else None
    others: list[str] = []
    cert = None
    if reach is not None:
        urls = reach.phone_urls(info.code)
        others = urls[1:] if urls and urls[0] == info.phone_url else []
        cert = reach.self_signed_cert
    return CodeEvent(
        code=info.code,
        url=info.phone_url,
        expires_at=info.expires_at,
        renewed=renewed,
        reason=reason,
        other_urls=others,
        self_signed=reach.self_signed if reach is not None else False,
        certificate=str(cert) if cert else None,
    )
