"""The score server for tests: a real ScoreServer on 127.0.0.1 (a free port) fed by a ScoreKeeper, and a
real aiohttp client session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from desktop_receiver.scoring import CameraInfo, ScoreKeeper, ScoreServer


@dataclass
class Served:
    """A running server, its keeper and a client session."""

    keeper: ScoreKeeper
    server: ScoreServer
    session: aiohttp.ClientSession

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def ws_base(self) -> str:
        """ws://127.0.0.1:PORT"""
        return f"ws://127.0.0.1:{self.server.port}"


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    """A score server with a camera at 1280x720 and 29.8 fps."""
    keeper = ScoreKeeper()
    server = ScoreServer(keeper, "127.0.0.1", 0, lambda: CameraInfo(True, 29.8, 1280, 720))
    await server.start()
    async with aiohttp.ClientSession() as session:
        yield Served(keeper, server, session)
    await server.stop()
