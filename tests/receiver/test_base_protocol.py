"""Against a server that speaks only the base protocol, as the deployed app's does: unrelated pushes are
ignored, its answer-only phone page gets our offer, and a socket drop ends in a new code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from desktop_receiver.pairing.interface import ClientOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions
from tests.receiver.base_server import BaseProtocolServer
from tests.receiver.conftest import agent_config, frames_from
from tests.receiver.proxy import TcpProxy


@pytest.fixture
async def base_server() -> AsyncIterator[BaseProtocolServer]:
    srv = BaseProtocolServer()
    await srv.start()
    yield srv
    await srv.stop()


async def test_answer_only_phone_on_the_base_server(base_server, make_agent, make_phone):
    agent, events = await make_agent(
        agent_config(base_server.ws_url, negotiation=NegotiationOptions(offer_grace=0.5))
    )
    assert len(agent.code) == 4 and agent.phone_url.endswith(f"/mobile-cam.html?code={agent.code}")
    phone = await make_phone(base_server.ws_url, agent.code, answer_only=True)
    frames = await frames_from(agent, 5)
    assert frames[-1].image.shape == (240, 320, 3)
    assert phone.offers_answered == 1
    assert not events.of("error")  # tournaments, matches and announcement were ignored


@pytest.mark.parametrize("tokens", [False, True], ids=["no-token", "token-ignored"])
async def test_socket_drop_without_resume_gives_a_new_code(make_agent, tokens):
    base_server = BaseProtocolServer(tokens=tokens)
    await base_server.start()
    proxy = TcpProxy(base_server.port)
    await proxy.start()
    try:
        agent, events = await make_agent(
            agent_config(
                f"ws://127.0.0.1:{proxy.port}/ws",
                client=ClientOptions(backoff_initial=0.1, resume_timeout=0.5),
            )
        )
        old = agent.code
        proxy.cut()
        renewed = await events.wait("code", lambda e: e.renewed)
        assert renewed.code != old and agent.code == renewed.code
        assert renewed.code in base_server.sessions
        if tokens:  # it tried to resume, got no answer, and gave up after resume_timeout
            assert "cam-resume" in base_server.ignored and "did not resume" in renewed.reason
        else:  # nothing to resume with: straight to a new code
            assert base_server.ignored == [] and "no resume token" in renewed.reason
    finally:
        await proxy.stop()
        await base_server.stop()


async def test_phone_leaving_the_base_server_gives_a_new_code(base_server, make_agent, make_phone):
    agent, events = await make_agent(
        agent_config(
            base_server.ws_url, negotiation=NegotiationOptions(offer_grace=0.3), base_rejoin_wait=0.5
        )
    )
    old = agent.code
    phone = await make_phone(base_server.ws_url, old, answer_only=True)
    await frames_from(agent, 3)
    await phone.leave()  # the base server deletes the session, silently
    renewed = await events.wait("code", lambda e: e.renewed)
    assert renewed.code != old and "base protocol" in renewed.reason
    await make_phone(base_server.ws_url, renewed.code, answer_only=True)
    assert (await frames_from(agent, 3, after_attempt=1))[-1].image.shape == (240, 320, 3)


async def test_a_message_with_a_non_string_type_costs_only_that_message(base_server, make_agent, make_phone):
    agent, events = await make_agent(
        agent_config(base_server.ws_url, negotiation=NegotiationOptions(offer_grace=0.3))
    )
    code = agent.code
    for bad in ({"type": ["x"]}, {"type": {"a": 1}}, {"type": None}, ["not", "an", "object"]):
        await base_server.push(bad)
    await events.wait("error", lambda e: "type" in e.message, count=3)
    # The same socket and session go on: a phone still pairs with the same code.
    await make_phone(base_server.ws_url, code, answer_only=True)
    assert (await frames_from(agent, 3))[-1].image.shape == (240, 320, 3)
    assert agent.client is not None and agent.client.connected and agent.code == code
    assert not events.of("reconnecting") and not any(e.fatal for e in events.of("error"))
