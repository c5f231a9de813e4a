"""The optional Origin allow-list (a client that sends no Origin, like the agent, is always allowed)."""

from __future__ import annotations

from aiohttp import web


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    """True if the request's Origin is allowed: no list, no Origin, our own origin, or a listed one."""
    origin = request.headers.get("Origin")
    if not allowed or not origin:
        return True
    own = f"{request.scheme}://{request.host}"
    return origin.rstrip("/") in {own, *(o.rstrip("/") for o in allowed)}
