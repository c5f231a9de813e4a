"""Agent + our signaling server + simulated phone on loopback: frames arrive as numpy arrays of the right
size, for VP8 and H.264, with the phone offering or only answering, over WebSocket or REST."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop_receiver.events import Connected, FirstFrame
from desktop_receiver.simphone import SourceOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions, OfferMode
from tests.receiver.conftest import agent_config, frames_from, ws_url_of


@pytest.mark.parametrize("transport", ["ws", "rest"])
@pytest.mark.parametrize("answer_only", [False, True], ids=["phone-offers", "phone-answers"])
@pytest.mark.parametrize("codec", ["vp8", "h264"])
async def test_frames_arrive(server, make_agent, make_phone, codec, answer_only, transport):
    config = agent_config(server.ws_url, prefer_codec=codec, negotiation=NegotiationOptions(offer_grace=0.3))
    agent, events = await make_agent(config)
    phone = await make_phone(
        ws_url_of(agent),
        agent.code,
        transport=transport,
        answer_only=answer_only,
        source=SourceOptions(width=352, height=288, fps=30),
    )
    frames = await frames_from(agent, 5)
    for frame in frames:
        assert isinstance(frame.image, np.ndarray)
        assert frame.image.shape == (288, 352, 3) and frame.image.dtype == np.uint8
        assert frame.meta.width == 352 and frame.meta.height == 288
    assert [f.meta.index for f in frames] == sorted({f.meta.index for f in frames})
    # The phone stamps its send time: the sink reads it back.
    assert any(f.meta.latency_ms is not None and 0 <= f.meta.latency_ms < 5000 for f in frames)
    connected = await events.wait("connected")
    assert isinstance(connected, Connected)
    assert connected.codec is not None and connected.codec.lower() == codec
    assert (connected.width, connected.height) == (352, 288)
    first = await events.wait("first-frame")
    assert isinstance(first, FirstFrame) and first.ms_since_join is not None and first.ms_since_join > 0
    # Who offered: in answer-only mode the agent did (the phone answered one offer).
    assert (phone.offers_answered >= 1) == answer_only
    names = events.names()
    assert (
        names.index("code")
        < names.index("peer-joined")
        < names.index("connected")
        < names.index("first-frame")
    )


async def test_embedded_server_and_offer_always(make_agent, make_phone):
    """Without --server the agent runs its own server; --offer always offers as soon as a phone joins,
    and a phone that also offers (glare) wins: the agent answers it."""
    agent, events = await make_agent(negotiation=NegotiationOptions(offer_mode=OfferMode.ALWAYS))
    assert agent.server is not None and agent.code and agent.phone_url and agent.code in agent.phone_url
    await make_phone(ws_url_of(agent), agent.code)
    frames = await frames_from(agent, 3)
    assert frames[-1].image.shape == (240, 320, 3)
    connected = await events.wait("connected")
    # Attempt 1 was the agent's own offer; attempt 2 answers the phone's offer, which won.
    assert connected.attempt == 2 and frames[-1].meta.attempt == 2


async def test_stats_events(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    await make_phone(ws_url_of(agent), agent.code)
    stats = await events.wait("stats", lambda e: e.decoded > 10)
    assert stats.fps > 0 and stats.width == 320 and stats.height == 240
    assert stats.latency_p50_ms is not None and stats.latency_p95_ms >= stats.latency_p50_ms
    await agent.stop()
    stopped = await events.wait("stopped")
    assert stopped.decoded >= stats.decoded and stopped.connections == 1
    for event in events.events:
        data = event.to_dict()
        assert isinstance(data["event"], str) and isinstance(data["t"], float)


async def test_offer_never_leaves_an_answer_only_phone_waiting(server, make_agent, make_phone):
    agent, events = await make_agent(
        agent_config(
            server.ws_url, negotiation=NegotiationOptions(offer_mode=OfferMode.NEVER, offer_grace=0.2)
        )
    )
    phone = await make_phone(server.ws_url, agent.code, answer_only=True)
    await events.wait("peer-joined")
    with pytest.raises(TimeoutError):
        await agent.next_frame(timeout=1.5)
    assert phone.offers_answered == 0 and agent.negotiator.attempts == 0


async def test_send_to_phone_relays_a_calibration(server, make_agent, make_phone):
    from signaling.protocol import MsgType

    agent, _ = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code)
    await frames_from(agent, 1)
    calibration = {"H": [1, 0, 640, 0, 1, 360, 0, 0, 1], "imageSize": {"w": 1280, "h": 720}, "errorPx": 0.5}
    await agent.send_to_phone(MsgType.CALIBRATION, calibration)
    got = await asyncio.wait_for(phone.from_desktop.get(), 10)
    assert got["type"] == "cam-calibration" and got["payload"] == calibration
    with pytest.raises(ValueError):
        await agent.send_to_phone(MsgType.OFFER, {})
