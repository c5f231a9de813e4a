"""Test clients of the score interfaces: reading each wire format with a real aiohttp client, and the
scripted visit with the JSON a client of §1 expects."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from desktop_receiver.scoring import ScoreKeeper

TIMEOUT = 10.0


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next text frame as JSON."""
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def next_of(ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The `data` of the next §1 frame of type `kind` (others are skipped), within `timeout`."""
    async with asyncio.timeout(timeout):
        while True:
            message = await receive(ws)
            assert set(message) == {"type", "data"}
            if message["type"] == kind:
                return message["data"]


def visit(keeper: ScoreKeeper) -> list[Any]:
    """The scripted visit's darts: a treble 20, the bull, a miss beside the 6."""
    return [
        keeper.throw((0.0, -103.0), image_px=(640.5, 312.0), confidence=0.93, frames=(40, 41)).throw,
        keeper.throw((0.0, 0.0), image_px=(700.0, 400.0), confidence=0.81, frames=(90,)).throw,
        keeper.throw((190.0, 0.0), confidence=0.7).throw,
    ]


T20 = {
    "segment": {"name": "T20", "number": 20, "bed": "Triple", "multiplier": 3},
    "coords": {"x": 0.0, "y": 0.6059},
}
BULL = {
    "segment": {"name": "Bull", "number": 25, "bed": "Double", "multiplier": 2},
    "coords": {"x": 0.0, "y": 0.0},
}
MISS6 = {
    "segment": {"name": "M6", "number": 6, "bed": "Outside", "multiplier": 0},
    "coords": {"x": 1.1176, "y": 0.0},
}


def board_state(
    status: str, event: str, throws: list[dict[str, Any]], running: bool = True
) -> dict[str, Any]:
    """The §1 state object the clients expect."""
    return {
        "connected": True,
        "running": running,
        "status": status,
        "event": event,
        "numThrows": len(throws),
        "throws": throws,
    }
