"""Who is at the other end of a transport: a Client (its address and the role it holds), and for a
socket the Connection the hub delivers to. Kept apart from the service and the hub, which both use
them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from signaling.protocol import Role


@dataclass
class Client:
    """One transport-level client: a WebSocket (with a connection id) or a REST caller (without)."""

    address: str
    conn_id: str | None = None
    code: str | None = None
    role: Role | None = None
    # *ext* The client acknowledges numbered messages: it gets each one with its `seq`, and what it has
    # not acknowledged stays queued and comes again after a resume.
    ack: bool = False


class Connection(Protocol):
    """What the hub needs of a client socket."""

    id: str
    lock: asyncio.Lock
    client: Client

    @property
    def closed(self) -> bool: ...

    async def send(self, message: dict[str, Any]) -> None:
        """Sends one message; raises ConnectionError if the socket cannot take it."""
        ...

    async def close(self, code: int, reason: str) -> None: ...
