"""dartcam signaling server: pairs a phone with the desktop agent and relays the WebRTC handshake.

The public surface: `SignalingServer` (start/stop one instance in a running event loop; `ws_url`,
`http_url`), `ServerConfig` (every option and its default) and `protocol` (the message catalogue).
The server and its config are imported on first use, so that `signaling.protocol` stays light for
clients that only speak the protocol."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signaling import protocol
    from signaling.config import ServerConfig
    from signaling.server import SignalingServer

__all__ = ["ServerConfig", "SignalingServer", "protocol"]

_HOMES = {"ServerConfig": "signaling.config", "SignalingServer": "signaling.server"}


def __getattr__(name: str) -> Any:
    if name == "protocol":
        return importlib.import_module("signaling.protocol")
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'signaling' has no attribute {name!r}")
