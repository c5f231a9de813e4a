"""The score interfaces with the real agent (--autoscore): a simulated phone's frames make §1's camera
connected at its resolution, darts fed through the Python API reach the agent's events and every
interface, and a taken port is a clear start error."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from desktop_receiver.agent import AgentError
from desktop_receiver.cli import parse
from desktop_receiver.scoring import ScoringOptions
from tests.receiver.conftest import TIMEOUT, agent_config, frames_from, ws_url_of

SCORING = ScoringOptions(board_api="127.0.0.1:0")


def test_autoscore_and_board_api_options():
    config, _ = parse(["--autoscore", "--calibrate", "--board-api", "127.0.0.1:3999"], {})
    assert config.scoring is not None and config.scoring.address == ("127.0.0.1", 3999)
    assert parse(["--autoscore", "--calibrate"], {})[0].scoring.address == ("0.0.0.0", 3180)
    assert parse([], {})[0].scoring is None


async def test_darts_through_the_agent_reach_every_interface(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url, scoring=SCORING))
    assert agent.scoring is not None and agent.score_server is not None
    base = f"127.0.0.1:{agent.score_server.port}"
    await make_phone(ws_url_of(agent), agent.code)
    await frames_from(agent, 20)
    async with aiohttp.ClientSession() as session:
        async with (
            session.ws_connect(f"ws://{base}/api/events") as board,
            session.ws_connect(f"ws://{base}/autoscore") as app,
        ):
            async with asyncio.timeout(TIMEOUT):
                while True:  # the sink's rate needs half a second of frames
                    message = json.loads((await board.receive()).data)
                    if message["type"] == "stats" and message["data"]["fps"] > 0:
                        break
            assert message["data"]["resolution"] == {"width": 320, "height": 240}
            await asyncio.sleep(0.1)
            agent.scoring.throw((0.0, -103.0), image_px=(160.0, 100.0), confidence=0.9, frames=(12,))
            dart = json.loads((await app.receive(timeout=TIMEOUT)).data)
        async with session.get(f"http://{base}/api/state") as r:
            state = await r.json()
    throw = (await events.wait("throw")).throw
    assert dart == {
        "type": "dart",
        "value": 60,
        "ring": "TRIPLE",
        "sector": 20,
        "mult": 3,
        "confidence": 0.9,
        "id": throw.id,
    }
    assert (state["connected"], state["numThrows"], state["throws"][0]["segment"]["name"]) == (True, 1, "T20")
    assert json.loads(throw_json(events))["throw"]["frames"] == [12]


def throw_json(events) -> str:
    """The JSON line of the agent's first throw event."""
    return events.of("throw")[0].to_json()


async def test_a_taken_board_api_port_is_a_clear_start_error(server, make_agent):
    first, _ = await make_agent(agent_config(server.ws_url, scoring=SCORING))
    taken = ScoringOptions(board_api=f"127.0.0.1:{first.score_server.port}")
    with pytest.raises(AgentError, match="score interfaces: cannot listen on 127.0.0.1"):
        await make_agent(agent_config(server.ws_url, scoring=taken))
