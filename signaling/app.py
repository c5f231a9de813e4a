"""Builds the aiohttp application: routes, the session store, the hub, and the background sweeper."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from signaling.codes import new_instance_id
from signaling.config import ServerConfig
from signaling.hub import Hub
from signaling.logs import log_event
from signaling.metrics import Metrics
from signaling.protocol import PHONE_PAGE_PATH, WS_PATH
from signaling.redis import RedisHub, RedisStore
from signaling.rest import RestHandlers
from signaling.service import Clock, SignalingService
from signaling.store import MemoryStore, SessionStore, StoreUnavailable
from signaling.sweeper import Sweeper
from signaling.tasks import cancel_and_wait
from signaling.ws import WebSocketHandler

STATIC_DIR = Path(__file__).parent / "static"
SERVICE_KEY = web.AppKey("service", SignalingService)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every HTTP error is a JSON body that says what was wrong; no exception reaches the client raw."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return web.json_response({"ok": False, "error": exc.reason}, status=exc.status)
    except Exception as exc:
        log_event("internal-error", 40, path=request.path, error=repr(exc))
        return web.json_response({"ok": False, "error": "internal error"}, status=500)


def add_phone_page(app: web.Application, directory: Path) -> None:
    """Serves the phone page at its paths and the files of `directory` at /static/. aiohttp's static
    route resolves each path and serves nothing outside the directory, symlinks included."""
    page = directory / PHONE_PAGE_PATH.removeprefix("/")
    if page.exists():

        async def phone_page(_: web.Request) -> web.FileResponse:
            return web.FileResponse(page)

        app.router.add_get(PHONE_PAGE_PATH, phone_page)
        app.router.add_get("/phone", phone_page)
        app.router.add_static("/static/", directory, follow_symlinks=False)


def _backend(config: ServerConfig) -> tuple[SessionStore, Hub]:
    """The in-process store and hub, or the Redis ones when several instances share sessions."""
    instance_id = new_instance_id()
    if config.redis_url:
        redis_store = RedisStore(
            config.redis_url,
            timeout=config.redis_timeout,
            pool_wait=config.redis_pool_wait,
            key_ttl=config.redis_key_ttl,
        )
        return redis_store, RedisHub(instance_id, redis_store, config)
    store = MemoryStore()
    return store, Hub(instance_id, store)


def create_app(config: ServerConfig, clock: Clock = time.time) -> web.Application:
    """The signaling server as an aiohttp application; `clock` (epoch seconds) is what its sessions
    expire on."""
    metrics = Metrics()
    store, hub = _backend(config)
    service = SignalingService(config, store, hub, metrics, clock)
    app = web.Application(middlewares=[json_errors], client_max_size=config.max_message_bytes * 4)
    app[SERVICE_KEY] = service

    async def healthz(_: web.Request) -> web.Response:
        if not isinstance(store, RedisStore):
            return web.json_response({"ok": True})
        try:
            await store.ping()
        except StoreUnavailable as exc:
            return web.json_response({"ok": False, "redis": False, "error": str(exc)}, status=503)
        return web.json_response({"ok": True, "redis": True})

    async def metrics_page(_: web.Request) -> web.Response:
        metrics.connections.set(hub.open_connections)
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    app.router.add_get(WS_PATH, WebSocketHandler(config, service, hub, metrics).handle)
    app.router.add_routes(RestHandlers(config, service, metrics).routes())
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    add_phone_page(app, STATIC_DIR)

    async def close_sockets(_: web.Application) -> None:
        # Before aiohttp waits for its handlers: an open WebSocket would hold the shutdown up.
        await hub.close_connections()

    app.on_shutdown.append(close_sockets)

    async def background(_: web.Application) -> AsyncIterator[None]:
        await hub.start()
        sweeper = asyncio.create_task(Sweeper(service).run())
        yield
        await cancel_and_wait(sweeper)
        await hub.close()
        await store.close()

    app.cleanup_ctx.append(background)
    return app
