"""Conversions between a signaling server's WebSocket and HTTP URLs (one place for ws <-> http)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

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
