"""The REST transport, for phones that cannot keep a WebSocket: POST/GET /cam/signal/{code},
GET/POST /cam/calibration/{code}, GET /healthz. Errors are 4xx JSON bodies that say what was wrong.
A request acts for a role only with its token (`resumeToken` in a POST body or `Authorization:
Bearer`), see SignalingService.authorize."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from signaling.client import Client
from signaling.config import ServerConfig
from signaling.logs import log_event
from signaling.metrics import Metrics
from signaling.origin import origin_allowed
from signaling.protocol import (
    HTTP_STATUS,
    RELAYED_TYPES,
    Capabilities,
    ErrorName,
    MsgType,
    ProtocolError,
    Role,
    normalize_code,
    parse_text,
    validate,
)
from signaling.service import SignalingService
from signaling.store import StoreUnavailable


def error_response(name: ErrorName, text: str) -> web.Response:
    """The JSON body of a rejected REST call."""
    return web.json_response({"ok": False, "error": text, "code": str(name)}, status=HTTP_STATUS[name])


Handler = Callable[["RestHandlers", web.Request], Awaitable[web.Response]]


def _json_errors(handler: Handler) -> Handler:
    """Turns the service's errors into JSON error responses (one place for every route)."""

    @functools.wraps(handler)
    async def wrapped(self: RestHandlers, request: web.Request) -> web.Response:
        try:
            return await handler(self, request)
        except ProtocolError as exc:
            self.metrics.count(exc.ref or "rest", "rejected")
            code = request.match_info.get("code")
            log_event("message-rejected", code=code, error=str(exc.name), reason=exc.message[:200], rest=True)
            return error_response(exc.name, exc.message)
        except StoreUnavailable as exc:
            return error_response(ErrorName.UNAVAILABLE, f"session store unavailable: {exc}")

    return wrapped


class RestHandlers:
    """aiohttp handlers that translate REST calls to the service."""

    def __init__(self, config: ServerConfig, service: SignalingService, metrics: Metrics) -> None:
        self.config = config
        self.service = service
        self.metrics = metrics

    def routes(self) -> list[web.RouteDef]:
        """The REST routes of the protocol."""
        return [
            web.post("/cam/signal/{code}", self.post_signal),
            web.get("/cam/signal/{code}", self.get_signal),
            web.get("/cam/calibration/{code}", self.get_calibration),
            web.post("/cam/calibration/{code}", self.post_calibration),
        ]

    async def _body(self, request: web.Request) -> dict[str, Any]:
        limit = self.config.max_message_bytes
        too_large = ProtocolError(ErrorName.TOO_LARGE, f"body larger than {limit} bytes")
        if request.content_length is not None and request.content_length > limit:
            raise too_large
        # read(n) returns what has arrived so far; a body in several packets needs the loop. The
        # whole body has body_timeout seconds: one that trickles in must not hold a request forever.
        raw = bytearray()
        try:
            async with asyncio.timeout(self.config.body_timeout):
                while len(raw) <= limit and (chunk := await request.content.readany()):
                    raw += chunk
        except TimeoutError:
            raise ProtocolError(
                ErrorName.BAD_MESSAGE, f"the body did not arrive within {self.config.body_timeout:g} s"
            ) from None
        if len(raw) > limit:
            raise too_large
        return parse_text(bytes(raw))

    def _client(self, request: web.Request) -> Client:
        if not origin_allowed(request, self.config.allowed_origins, self.config.public_url):
            raise web.HTTPForbidden(
                text=json.dumps({"ok": False, "error": "origin not allowed"}), content_type="application/json"
            )
        return Client(address=request.remote or "?")

    @_json_errors
    async def post_signal(self, request: web.Request) -> web.Response:
        client = self._client(request)
        code = normalize_code(request.match_info["code"])
        data = await self._body(request)
        role = _role(data.get("source", "phone"))
        data = {**data, "code": code}
        if data.get("type") == MsgType.DIAGNOSTIC.value:
            self.service.diagnostic(code, data.get("msg"), rest=True)
            return web.json_response({"ok": True, "stored": False})
        msg = validate(data, code_required=True)
        token = _token(request, data)
        if msg.type is MsgType.JOIN:
            if role is not Role.PHONE:
                raise ProtocolError(ErrorName.WRONG_ROLE, "only the phone joins a session")
            caps = Capabilities.from_payload(msg.payload)
            reply = await self.service.join(client, code, token, caps)
            return web.json_response({"ok": True, "stored": True, **reply})
        if msg.type not in RELAYED_TYPES:
            raise ProtocolError(ErrorName.BAD_MESSAGE, f"{msg.type} cannot be sent over REST")
        outcome = await self.service.relay_as(client, msg, role, token)
        return web.json_response({"ok": True, "stored": True, "delivered": outcome == "relayed"})

    @_json_errors
    async def get_signal(self, request: web.Request) -> web.Response:
        client = self._client(request)
        code = normalize_code(request.match_info["code"])
        role = _role(request.query.get("source", "phone"))
        wait = _parse_wait(request.query.get("wait", "0"), self.config.long_poll_max)
        messages = await self.service.poll(client, code, role, wait, _token(request, {}))
        return web.json_response({"ok": True, "messages": messages})

    @_json_errors
    async def get_calibration(self, request: web.Request) -> web.Response:
        client = self._client(request)
        code = normalize_code(request.match_info["code"])
        calibration = await self.service.calibration(code, client)
        if calibration is None:
            return web.json_response({"ok": False, "message": "no calibration yet"})
        return web.json_response({"ok": True, "calibration": calibration})

    @_json_errors
    async def post_calibration(self, request: web.Request) -> web.Response:
        client = self._client(request)
        code = normalize_code(request.match_info["code"])
        body = await self._body(request)
        token = _token(request, body)
        calibration = {k: v for k, v in body.items() if k != TOKEN_FIELD}
        await self.service.post_calibration(code, client, calibration, token)
        return web.json_response({"ok": True})


TOKEN_FIELD = "resumeToken"
BEARER = "bearer "


def _token(request: web.Request, body: dict[str, Any]) -> str | None:
    """The role's token a request presents: `resumeToken` in its body, else `Authorization: Bearer`."""
    token = body.get(TOKEN_FIELD)
    if token is not None:
        if not isinstance(token, str):
            raise ProtocolError(ErrorName.BAD_MESSAGE, f"'{TOKEN_FIELD}' must be a string")
        return token
    header = request.headers.get("Authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip() or None
    return None


def _parse_wait(raw: str, limit: float) -> float:
    try:
        wait = float(raw)
    except ValueError:
        raise ProtocolError(ErrorName.BAD_MESSAGE, "wait must be a number of seconds") from None
    if not 0 <= wait <= limit:
        raise ProtocolError(ErrorName.BAD_MESSAGE, f"wait must be between 0 and {limit:g} seconds")
    return wait


def _role(source: object) -> Role:
    if source not in ("phone", "desktop"):
        raise ProtocolError(ErrorName.BAD_MESSAGE, "source must be 'phone' or 'desktop'")
    return Role(source)
