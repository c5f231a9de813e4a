"""The optional Origin allow-list (a client that sends no Origin, like the agent, is always allowed)."""

from __future__ import annotations

import ipaddress

from aiohttp import web
from yarl import URL


def origin_allowed(request: web.Request, allowed: tuple[str, ...], public_url: str | None = None) -> bool:
    """True if the request's Origin is allowed: no list, no Origin, a listed one, the origin of
    `public_url`, or our own origin as the request names it, if it names this machine by address."""
    origin = request.headers.get("Origin")
    if not allowed or not origin:
        return True
    origin = _normal(origin)
    if not origin:
        return False  # "null" (a sandboxed or file:// page) or no origin at all
    if origin in {_normal(o) for o in allowed} or (public_url and origin == _normal(public_url)):
        return True
    # The Host header is the client's to choose: a page of any domain that resolves to this machine
    # (DNS rebinding) sends its own name as Host and as Origin. So only an address, or localhost,
    # vouches for being our own origin.
    own = _normal(f"{request.scheme}://{request.host}")
    return origin == own and _names_this_machine(request.url.host or "")


def _normal(origin: str) -> str:
    """An origin as scheme://host[:port], lower-cased, without the default port or a path."""
    try:
        url = URL(origin.strip())
    except ValueError:
        return ""
    if not url.scheme or not url.host:
        return ""
    port = "" if url.port is None or url.is_default_port() else f":{url.port}"
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme.lower()}://{host.lower()}{port}"


def _names_this_machine(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
