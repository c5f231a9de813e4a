"""Conversions between a signaling server's WebSocket and HTTP URLs (one place for ws <-> http)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from signaling.protocol import WS_PATH


def ws_url(server: str) -> str:
    """The WebSocket URL for a server given as ws(s)://host:port[/ws] or http(s)://host:port."""
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, WS_PATH, "", ""))


def http_url(server: str, path: str = "", query: str = "") -> str:
    """The HTTP(S) URL of `path` (and `query`) on a server given as a ws(s) or http(s) URL."""
    parts = urlsplit(server)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, path, query, ""))


def phone_page_target(url: str) -> tuple[str, str]:
    """The server and the pairing code of a phone page URL as the agent prints it
    (`https://host:8787/mobile-cam.html?code=ABCDEF`; a `server=` parameter, as the page takes it,
    names another server). ValueError when it is no http(s) URL or holds no code."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a phone page URL (http:// or https://): {url!r}")
    query = parse_qs(parts.query)
    code = query.get("code", [""])[0].strip()
    if not code:
        raise ValueError(f"the URL holds no pairing code (?code=...): {url!r}")
    server = query.get("server", [""])[0].strip() or urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return server, code
