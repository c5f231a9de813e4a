"""The score interfaces' HTTP/WebSocket server (shared/AUTOSCORE.md): §1 the board-manager style local
API under /api, §2 the deployed app's external WebSocket provider on /autoscore, §3 the plain shape on
/scores. It reads the ScoreKeeper's stream and never needs a message from its clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import platform
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from desktop_receiver.scoring import wire
from desktop_receiver.scoring.model import ThrowDetected
from desktop_receiver.scoring.stream import ScoreKeeper, StreamItem, Subscription

log = logging.getLogger(__name__)
STATS_INTERVAL = 1.0  # §1 clients take ~10-30 s of silence for a dead link
SEND_TIMEOUT = 2.0  # a client that does not take a frame within this is closed, not waited for
CORS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, PUT, POST, OPTIONS",
    "Access-Control-Max-Age": "600",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, separators=(",", ":")))


@web.middleware
async def _cors_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answers every preflight, puts CORS `*` on every answer, and turns errors into JSON ones."""
    if request.method == "OPTIONS":
        asked = request.headers.get("Access-Control-Request-Headers", "Content-Type")
        return web.Response(status=204, headers={**PREFLIGHT, "Access-Control-Allow-Headers": asked})
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        reason = {404: "no such path", 405: "method not allowed here"}.get(exc.status, exc.reason)
        response = _json({"error": f"{reason}: {request.method} {request.path}"}, exc.status)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception("score API: %s %s failed", request.method, request.path)
        response = _json({"error": f"internal error: {request.method} {request.path}"}, 500)
    if not response.prepared:
        response.headers.update(CORS)
    return response


class ScoreServer:
    """Serves the three interfaces of one ScoreKeeper on `host`:`port` (0: a free one, see `port`).
    `camera()` says whether frames come and their rate and size (for §1's `connected` and `stats`)."""

    def __init__(
        self,
        keeper: ScoreKeeper,
        host: str,
        port: int,
        camera: Callable[[], wire.CameraInfo] = wire.CameraInfo,
    ) -> None:
        self.keeper, self.host, self.port, self.camera = keeper, host, port, camera
        self._clients: dict[str, set[web.WebSocketResponse]] = {"events": set(), "app": set(), "plain": set()}
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._cam_state: dict[str, Any] | None = None

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(middlewares=[_cors_and_errors])
        r = app.router
        r.add_get("/api/events", self._events)
        r.add_get("/autoscore", self._app_socket)
        r.add_get("/scores", self._plain_socket)
        r.add_get("/api/state", self._state)
        r.add_get("/api/version", self._version)
        r.add_get("/api/ping", self._ping)
        r.add_get("/api/config", self._config)
        r.add_get("/api/host", self._host)
        for path in ("/api/start", "/api/detection/start"):
            r.add_put(path, self._start)
        for path in ("/api/stop", "/api/detection/stop"):
            r.add_put(path, self._stop)
        r.add_post("/api/reset", self._reset)
        r.add_post("/api/config/calibration/auto", self._recalibrate)
        return app

    async def start(self) -> None:
        """Listens; OSError when the address cannot be bound (e.g. the port is taken)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.port = self._runner.addresses[0][1]
        self._cam_state = wire.board_cam_state(self.camera(), self.keeper.state().running)
        sub = self.keeper.stream.subscribe()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._relay(sub)), loop.create_task(self._stats_loop())]

    async def stop(self) -> None:
        """Closes every client and stops listening (idempotent)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for clients in self._clients.values():
            for ws in list(clients):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- HTTP --------------------------------------------------------------------------------------

    async def _state(self, _: web.Request) -> web.Response:
        return _json(wire.board_state(self.keeper.state(), self.camera().connected))

    async def _version(self, _: web.Request) -> web.Response:
        return web.Response(text=wire.BOARD_API_VERSION)

    async def _ping(self, _: web.Request) -> web.Response:
        return web.Response(text="pong")

    async def _config(self, _: web.Request) -> web.Response:
        return _json(wire.board_config(self.camera()))

    async def _host(self, _: web.Request) -> web.Response:
        return _json(_host())

    # §1 commands: clients read only the status code.

    async def _start(self, _: web.Request) -> web.Response:
        if not self.keeper.state().running:
            self.keeper.start()
        return _json({})

    async def _stop(self, _: web.Request) -> web.Response:
        if self.keeper.state().running:
            self.keeper.stop()
        return _json({})

    async def _reset(self, _: web.Request) -> web.Response:
        self.keeper.reset()
        return _json({})

    async def _recalibrate(self, _: web.Request) -> web.Response:
        # No recalibration on request yet: the agent's tracker recalibrates by itself when the camera moves.
        return _json({})

    # -- WebSockets --------------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """§1: `state` and `cam_state` right away, then on change; `stats` every second."""
        camera = self.camera()
        greeting = [
            wire.board_message("state", wire.board_state(self.keeper.state(), camera.connected)),
            wire.board_message("cam_state", wire.board_cam_state(camera, self.keeper.state().running)),
            wire.board_message("stats", wire.board_stats(camera)),
        ]
        return await self._socket(request, "events", greeting)

    async def _app_socket(self, request: web.Request) -> web.StreamResponse:
        return await self._socket(request, "app", [])

    async def _plain_socket(self, request: web.Request) -> web.StreamResponse:
        return await self._socket(request, "plain", [])

    async def _socket(
        self, request: web.Request, kind: str, greeting: list[dict[str, Any]]
    ) -> web.StreamResponse:
        """A push-only WebSocket: what clients send is read and ignored."""
        ws = web.WebSocketResponse(heartbeat=20.0)
        if not ws.can_prepare(request).ok:
            return _json({"error": f"a WebSocket upgrade is expected on {request.path}"}, 400)
        await ws.prepare(request)
        try:
            for message in greeting:
                await ws.send_str(json.dumps(message, separators=(",", ":")))
        except ConnectionError:
            return ws  # gone before the greeting was out
        self._clients[kind].add(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._clients[kind].discard(ws)
        return ws

    async def _broadcast(self, kind: str, message: dict[str, Any]) -> None:
        """Sends `message` to every client of `kind`; one that cannot take it is closed."""
        text = json.dumps(message, separators=(",", ":"))
        clients = list(self._clients[kind])
        results = await asyncio.gather(
            *(asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT) for ws in clients), return_exceptions=True
        )
        for ws, result in zip(clients, results, strict=True):
            if isinstance(result, Exception):
                log.info("score API: dropping a %s client: %r", kind, result)
                self._clients[kind].discard(ws)
                await ws.close()

    async def _relay(self, sub: Subscription) -> None:
        """Every stream item to the clients: §1 the new state; §2 and §3 each new dart."""
        try:
            async for item in sub:
                await self._push(item)
        finally:
            sub.close()

    async def _push(self, item: StreamItem) -> None:
        camera = self.camera()
        state = wire.board_state(item.state, camera.connected)
        await self._broadcast("events", wire.board_message("state", state))
        if isinstance(item.event, ThrowDetected):
            await self._broadcast("app", wire.app_dart(item.event.throw))
            await self._broadcast("plain", wire.plain_score(item.event.throw))

    async def _stats_loop(self) -> None:
        """§1 `stats` every second, and `cam_state` when it changed."""
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            camera = self.camera()
            cam_state = wire.board_cam_state(camera, self.keeper.state().running)
            if cam_state != self._cam_state:
                self._cam_state = cam_state
                await self._broadcast("events", wire.board_message("cam_state", cam_state))
            await self._broadcast("events", wire.board_message("stats", wire.board_stats(camera)))


def _host() -> dict[str, Any]:
    """§1 `GET /api/host`."""
    return {
        "clientVersion": wire.BOARD_API_VERSION,
        "platform": sys.platform,
        "os": platform.system(),
        "hostname": socket.gethostname(),
        "app": "dartcam",
    }
