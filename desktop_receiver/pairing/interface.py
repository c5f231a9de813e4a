"""What the signaling client (client.py) takes and tells: its options, the session it holds, and the
listener through which it reports to the agent."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from desktop_receiver.urls import http_url
from signaling.cli import option
from signaling.protocol import PHONE_PAGE_PATH


@dataclass(frozen=True)
class PairingInfo:
    """The pairing session this agent holds, as the server's `cam-code` described it."""

    code: str
    expires_at: float | None  # epoch seconds
    resume_token: str | None
    phone_url: str
    # The server speaks the protocol's extensions (its cam-code has a resumeToken): it can resume, and
    # it stores a relayed cam-calibration itself.
    extended: bool = False


@dataclass(frozen=True)
class ClientOptions:
    """Reconnection tunables."""

    backoff_initial: float = 0.25
    backoff_max: float = 5.0
    resume_timeout: float = option(
        3.0, "after a reconnect, wait this long for cam-resumed before taking a new code", metavar="S"
    )
    heartbeat: float = 10.0
    connect_timeout: float = 5.0
    # Without a single successful connection for this long, the server is taken as unreachable.
    give_up_after: float = option(
        30.0,
        "exit with an error if the server cannot be reached at all for S seconds",
        flag="--give-up",
        metavar="S",
    )
    send_queue_limit: int = 500
    # Seconds from the first unacknowledged message to the cam-ack that covers it and what follows.
    ack_delay: float = 0.05
    # TLS context for a wss:// server (None: the system's trust store), e.g. one that trusts only the
    # embedded server's self-signed certificate.
    ssl: ssl.SSLContext | None = None


class ClientListener:
    """What the client tells the agent; the agent overrides what it needs. Called on the event loop
    and must not block."""

    def on_code(self, info: PairingInfo, renewed: bool, reason: str | None) -> None:
        """A code is ready (renewed: it replaces an earlier code that could not be resumed)."""

    def on_resumed(self, info: PairingInfo) -> None:
        """The socket is back and the session was resumed under the same code."""

    def on_disconnected(self, attempt: int, delay: float, reason: str) -> None:
        """The socket is down; the next attempt is in `delay` seconds."""

    def on_message(self, msg: dict[str, Any]) -> None:
        """A session message (peer-joined, offer, answer, ice, peer-left, error, ...)."""

    def on_fatal(self, reason: str) -> None:
        """The server cannot be reached at all: the agent should stop."""

    def on_bad_message(self, reason: str) -> None:
        """The server sent a message that could not be handled; it was skipped, the client goes on."""


def phone_url_for(ws_url: str, code: str) -> str:
    """The phone page URL on the same server as a `ws://host:port/ws` URL (for servers that send none)."""
    return http_url(ws_url, PHONE_PAGE_PATH, f"code={code}")
