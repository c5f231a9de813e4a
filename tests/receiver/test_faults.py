"""Faults: the agent's or the phone's signaling socket drops, the phone leaves and rejoins, candidates
come before the offer, garbage candidates and broken SDP, a stalled connection attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from desktop_receiver.pairing.interface import ClientOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions
from signaling.protocol import MsgType, relayed
from tests.receiver.conftest import TIMEOUT, agent_config, frames_from
from tests.receiver.proxy import TcpProxy

FAST_RECONNECT = ClientOptions(backoff_initial=0.1, backoff_max=0.5)


@pytest.fixture
async def proxy(server) -> AsyncIterator[TcpProxy]:
    """A cuttable TCP path from the agent to the server."""
    p = TcpProxy(server.port)
    await p.start()
    yield p
    await p.stop()


async def test_agent_socket_drops_mid_handshake(server, proxy, make_agent, make_phone):
    agent, events = await make_agent(
        agent_config(f"ws://127.0.0.1:{proxy.port}/ws", client=FAST_RECONNECT, connect_timeout=5.0)
    )
    code = agent.code
    # Cut the agent's socket the moment the phone has joined, before its offer (sent 0.5 s later).
    agent.subscribe(lambda e: proxy.cut() if e.name == "peer-joined" else None)
    await make_phone(server.ws_url, code, offer_delay=0.5)
    frames = await frames_from(agent, 3)
    assert frames[-1].image.shape == (240, 320, 3)
    assert events.of("reconnecting") and events.of("resumed")
    assert agent.code == code and not [e for e in events.of("code") if e.renewed]
    assert proxy.accepted >= 2


async def test_agent_socket_drops_after_connect_media_keeps_flowing(server, proxy, make_agent, make_phone):
    agent, events = await make_agent(agent_config(f"ws://127.0.0.1:{proxy.port}/ws", client=FAST_RECONNECT))
    await make_phone(server.ws_url, agent.code)
    before = (await frames_from(agent, 3))[-1]
    proxy.refusing = True
    proxy.cut()
    await events.wait("reconnecting")
    assert agent.client is not None and not agent.client.connected
    during = await frames_from(agent, 15)  # half a second of video with no signaling socket
    assert agent.client is not None and not agent.client.connected
    assert during[-1].meta.attempt == before.meta.attempt and during[-1].meta.index > before.meta.index
    proxy.refusing = False
    resumed = await events.wait("resumed")
    assert resumed.code == agent.code
    after = await frames_from(agent, 3)
    assert after[-1].meta.attempt == before.meta.attempt


async def test_phone_socket_drops(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code)
    before = (await frames_from(agent, 3))[-1]
    await phone.drop_socket()
    left = await events.wait("peer-left")
    assert "socket" in left.reason
    after = await frames_from(agent, 10)
    assert all(f.meta.attempt == before.meta.attempt for f in after)  # same connection, media went on
    await asyncio.wait_for(phone.transport.resumed.wait(), TIMEOUT)
    assert phone.transport.resumes == 1


async def test_phone_leaves_and_rejoins(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code)
    first = (await frames_from(agent, 3))[-1]
    await phone.leave()
    await events.wait("peer-left")
    await phone.start()  # a new join with the same code: a fresh peer connection
    await events.wait("peer-joined", count=2)
    later = await frames_from(agent, 3, after_attempt=first.meta.attempt)
    assert later[-1].image.shape == (240, 320, 3)
    assert len(events.of("first-frame")) == 2


async def test_candidates_before_the_offer(server, make_agent, make_phone):
    agent, _ = await make_agent(agent_config(server.ws_url))
    await make_phone(server.ws_url, agent.code, candidates_first=True, trickle_delay=0.05)
    frames = await frames_from(agent, 3)
    assert frames[-1].image.shape == (240, 320, 3)


async def test_garbage_candidates_and_broken_sdp(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code)
    before = (await frames_from(agent, 3))[-1]
    code = agent.code
    send = phone.transport.send
    await send(
        relayed(MsgType.ICE, code, {"candidate": "candidate:garbage", "sdpMid": "0", "sdpMLineIndex": 0})
    )
    await events.wait("error", lambda e: "candidate" in e.message)
    await send(relayed(MsgType.OFFER, code, {"type": "offer", "sdp": "v=0\r\nthis is not an SDP\r\n"}))
    await events.wait("error", lambda e: "offer" in e.message)
    # A well-formed candidate after end-of-candidates is dropped quietly.
    late = {
        "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await send(relayed(MsgType.ICE, code, late))
    after = await frames_from(agent, 10)
    assert all(f.meta.attempt == before.meta.attempt for f in after)
    errors = events.of("error")
    assert len(errors) == 2 and not any(e.fatal for e in errors)


async def test_connect_timeout_starts_a_new_attempt(server, make_agent, make_phone):
    # A short retry delay: the new attempt's offer follows the time-out at once.
    quick_retry = NegotiationOptions(retry_delay=0.3)
    agent, events = await make_agent(
        agent_config(server.ws_url, connect_timeout=2.0, negotiation=quick_retry)
    )
    await make_phone(server.ws_url, agent.code, stall_first=True, own_offer_patience=1.0)
    error = await events.wait("error", lambda e: "not up after" in e.message)
    assert "attempt 1" in error.message
    frames = await frames_from(agent, 3)
    assert frames[-1].meta.attempt >= 2


async def test_server_restart_refuses_resume_and_a_new_code_follows(server, proxy, make_agent):
    from signaling.config import ServerConfig
    from signaling.server import SignalingServer

    agent, events = await make_agent(agent_config(f"ws://127.0.0.1:{proxy.port}/ws", client=FAST_RECONNECT))
    old = agent.code
    fresh = SignalingServer(ServerConfig(host="127.0.0.1", port=0))
    await fresh.start()
    try:
        proxy.target_port = fresh.port  # the server "restarted" and lost its sessions
        proxy.cut()
        renewed = await events.wait("code", lambda e: e.renewed)
        assert renewed.code != old and "refused to resume" in renewed.reason
    finally:
        await agent.stop()
        await asyncio.wait_for(fresh.stop(), 10)


async def test_expired_code_is_renewed(make_agent):
    from signaling.config import ServerConfig
    from signaling.server import SignalingServer

    short = SignalingServer(ServerConfig(host="127.0.0.1", port=0, code_ttl=1.0, sweep_interval=0.2))
    await short.start()
    try:
        agent, events = await make_agent(agent_config(short.ws_url))
        old = agent.code
        renewed = await events.wait("code", lambda e: e.renewed)
        assert renewed.code != old and "ended the session" in renewed.reason
        assert agent.code == renewed.code
    finally:
        await agent.stop()
        await asyncio.wait_for(short.stop(), 10)


async def test_new_offer_from_the_same_phone_gets_a_fresh_connection(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code)
    first = (await frames_from(agent, 3))[-1]
    await phone.reoffer()
    later = await frames_from(agent, 3, after_attempt=first.meta.attempt)
    assert later[-1].image.shape == (240, 320, 3)
    assert len(events.of("first-frame")) == 2 and not events.of("error")


async def test_candidates_inside_the_sdp_then_a_late_trickled_one(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url))
    phone = await make_phone(server.ws_url, agent.code, trickle=False)  # a=end-of-candidates in the offer
    await frames_from(agent, 3)
    late = {
        "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await phone.transport.send(relayed(MsgType.ICE, agent.code, late))
    await frames_from(agent, 5)
    assert not events.of("error")
