"""A stand-in for the deployed darts app's signaling server, with the base protocol's behaviour and
faults (PROTOCOL.md): unrelated pushes, no resume (unknown types are silently ignored), and any socket
close deletes the session without telling anyone."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

from aiohttp import web

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class _Session:
    desktop: web.WebSocketResponse
    phone: web.WebSocketResponse | None = None
    expires_at: float = field(default_factory=lambda: time.time() + 120)


class BaseProtocolServer:
    """Serves /ws on 127.0.0.1:port. `tokens`: hand out resume tokens it then ignores (a server that
    cannot resume although it seemed to promise it, so the client's resume time-out is exercised)."""

    def __init__(self, tokens: bool = False) -> None:
        self.tokens = tokens
        self.sessions: dict[str, _Session] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.ignored: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def push(self, msg: object) -> None:
        """Sends `msg` (any JSON) to every open socket, as the base server pushes its own messages."""
        for ws in list(self.sockets):
            await ws.send_json(msg)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.add(ws)
        await ws.send_json({"type": "tournaments", "tournaments": []})
        try:
            async for frame in ws:
                if frame.type is web.WSMsgType.TEXT:
                    await self._handle(ws, json.loads(frame.data))
        finally:
            self.sockets.discard(ws)
            # The base server's fault: any close deletes the session and tells nobody.
            for code in [c for c, s in self.sessions.items() if ws in (s.desktop, s.phone)]:
                del self.sessions[code]
            for other in list(self.sockets):
                await other.send_json({"type": "matches", "matches": []})
        return ws

    async def _handle(self, ws: web.WebSocketResponse, msg: dict) -> None:
        type_, code = msg.get("type"), str(msg.get("code") or "").upper()
        if type_ == "cam-create":
            code = "".join(random.choice(ALPHABET) for _ in range(4))
            self.sessions[code] = _Session(desktop=ws)
            reply = {"type": "cam-code", "code": code, "expiresAt": int((time.time() + 120) * 1000)}
            if self.tokens:
                reply["resumeToken"] = "never-honoured"
            await ws.send_json(reply)
            await ws.send_json({"type": "announcement", "text": "tonight: league night"})
        elif type_ == "cam-join":
            session = self.sessions.get(code)
            if session is None:
                await ws.send_json({"type": "cam-error", "code": "INVALID_CODE"})
                return
            session.phone = ws
            await ws.send_json({"type": "cam-joined", "code": code})
            await session.desktop.send_json({"type": "cam-peer-joined", "code": code})
        elif type_ in ("cam-offer", "cam-answer", "cam-ice", "cam-calibration", "cam-data"):
            session = self.sessions.get(code)
            if session is None:
                return  # silently dropped, as the base server does
            target = session.phone if ws is session.desktop else session.desktop
            if target is not None and not target.closed:
                await target.send_json({"type": type_, "code": code, "payload": msg.get("payload")})
        else:
            self.ignored.append(str(type_))  # cam-resume and anything else: no answer at all
