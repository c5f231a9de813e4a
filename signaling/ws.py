"""The WebSocket transport at /ws: decodes frames, checks them against the catalogue, hands them to
the service, and answers every rejected message with `cam-error` (never a `cam-diagnostic` or a
`cam-error`, which would start a loop with the deployed phone page)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType, web

from signaling.client import Client
from signaling.config import ServerConfig
from signaling.hub import Hub
from signaling.logs import log_event
from signaling.metrics import Metrics
from signaling.origin import origin_allowed
from signaling.protocol import ErrorName, MsgType, ProtocolError, encode_bytes, error, parse_text, validate
from signaling.ratelimit import TokenBucket
from signaling.service import SignalingService
from signaling.store import StoreUnavailable

# aiohttp closes the socket (1009) above this; below it, our own limit answers with TOO_LARGE and the
# socket stays usable.
HARD_FRAME_LIMIT_FACTOR = 16
# Plain strings: read on every frame, and an Enum member's .value is a property lookup.
DIAGNOSTIC = str(MsgType.DIAGNOSTIC)
ERROR = str(MsgType.ERROR)
SILENT_TYPES = frozenset({DIAGNOSTIC, ERROR})


class WsConnection:
    """A WebSocket as the hub sees it."""

    def __init__(self, conn_id: str, ws: web.WebSocketResponse, client: Client) -> None:
        self.id = conn_id
        self.ws = ws
        self.client = client
        self.lock = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, message: dict[str, Any]) -> None:
        if self.ws.closed:
            raise ConnectionError("socket closed")
        # A text frame from the UTF-8 bytes: no str in between to encode again.
        await self.ws.send_frame(encode_bytes(message), WSMsgType.TEXT)

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, message=reason.encode()[:120])


class WebSocketHandler:
    """The /ws endpoint."""

    def __init__(self, config: ServerConfig, service: SignalingService, hub: Hub, metrics: Metrics) -> None:
        self.config = config
        self.service = service
        self.hub = hub
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serves one socket for as long as it stays open."""
        ws = web.WebSocketResponse(
            heartbeat=self.config.heartbeat or None,
            max_msg_size=self.config.max_message_bytes * HARD_FRAME_LIMIT_FACTOR,
        )
        await ws.prepare(request)
        if not origin_allowed(request, self.config.allowed_origins, self.config.public_url):
            log_event("origin-refused", origin=request.headers.get("Origin"))
            await ws.close(code=1008, message=b"origin not allowed")
            return ws
        conn_id = self.hub.new_conn_id()
        client = Client(address=request.remote or "?", conn_id=conn_id)
        conn = WsConnection(conn_id, ws, client)
        bucket = TokenBucket(self.config.rate_per_second, self.config.rate_burst)
        self.hub.register(conn)
        log_event("socket-opened", conn=conn.id, remote=client.address)
        try:
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_text(client, conn, frame.data, bucket)
                elif frame.type is WSMsgType.BINARY:
                    await self._reject(conn, ErrorName.BAD_MESSAGE, "binary frames are not supported", None)
        finally:
            self.hub.unregister(conn)
            log_event(
                "socket-closed", conn=conn.id, code=client.code, role=client.role, ws_code=ws.close_code
            )
            try:
                await self.service.leave(client)
            except (StoreUnavailable, ProtocolError) as exc:
                log_event("leave-failed", code=client.code, error=str(exc))
        return ws

    async def _on_text(self, client: Client, conn: WsConnection, text: str, bucket: TokenBucket) -> None:
        # A page that answers every error with a diagnostic must not be answered even when its
        # diagnostic is broken or too large: that would start the loop PROTOCOL.md warns of.
        type_hint = DIAGNOSTIC if DIAGNOSTIC in text else None
        try:
            if _utf8_size_exceeds(text, self.config.max_message_bytes):
                raise ProtocolError(
                    ErrorName.TOO_LARGE, f"message larger than {self.config.max_message_bytes} bytes"
                )
            data = parse_text(text)
            type_hint = _str_or_none(data.get("type"))
            if type_hint == ERROR:
                return  # never answer an error
            if not bucket.allow():
                raise ProtocolError(ErrorName.RATE_LIMITED, "more than the allowed messages per second")
            await self.service.handle(client, validate(data))
        except ProtocolError as exc:
            if type_hint in SILENT_TYPES:
                return
            await self._reject(conn, exc.name, exc.message, exc.ref or _str_or_none(type_hint))
        except StoreUnavailable as exc:
            await self._reject(conn, ErrorName.UNAVAILABLE, f"session store unavailable: {exc}", None)
        except Exception as exc:  # a bug here must cost one message, not the socket
            log_event("internal-error", 40, conn=conn.id, error=repr(exc))
            await self._reject(conn, ErrorName.BAD_MESSAGE, "the server could not handle this message", None)

    async def _reject(self, conn: WsConnection, name: ErrorName, text: str, ref: str | None) -> None:
        self.metrics.count(ref or "?", "rejected")
        log_event("message-rejected", conn=conn.id, error=str(name), reason=text[:200])
        await self.hub.send(conn.id, error(name, text, ref))


def _str_or_none(value: object) -> str | None:
    return value[:64] if isinstance(value, str) else None


def _utf8_size_exceeds(text: str, limit: int) -> bool:
    # A character takes 1 to 4 bytes: encode only when the length alone cannot decide.
    if len(text) > limit:
        return True
    return len(text) * 4 > limit and len(text.encode()) > limit
