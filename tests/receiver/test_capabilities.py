"""*ext* The agent reads what the phone announces in its cam-join: it offers at once to a phone that
announces nothing (the deployed page) or that says it only answers, waits for the offer of one that
says it offers, and learns the announcement again when it resumes its own socket."""

from __future__ import annotations

import asyncio

from desktop_receiver.webrtc.negotiation import NegotiationOptions
from signaling.protocol import Capabilities
from tests.receiver.conftest import agent_config, frames_from
from tests.receiver.proxy import TcpProxy

# Longer than any of these tests waits: a frame before it means the agent did not wait for the grace.
LONG_GRACE = NegotiationOptions(offer_grace=60.0)


async def test_a_phone_that_announces_nothing_gets_the_agents_offer_at_once(server, make_agent, make_phone):
    agent, events = await make_agent(agent_config(server.ws_url, negotiation=LONG_GRACE))
    phone = await make_phone(server.ws_url, agent.code, answer_only=True, announce=False)
    await frames_from(agent, 3, timeout=25)
    assert phone.offers_answered == 1 and agent.negotiator.phone_caps is None
    first = events.of("first-frame")[0]
    assert first.ms_since_join is not None and first.ms_since_join < 25_000


async def test_a_phone_that_says_it_only_answers_gets_the_offer_at_once(server, make_agent, make_phone):
    agent, _ = await make_agent(agent_config(server.ws_url, negotiation=LONG_GRACE))
    phone = await make_phone(server.ws_url, agent.code, answer_only=True)
    await frames_from(agent, 3, timeout=25)
    assert phone.offers_answered == 1
    assert agent.negotiator.phone_caps == Capabilities(offers=False, resume=True, ack=True)


async def test_a_phone_that_says_it_offers_is_waited_for(server, make_agent, make_phone):
    # The phone's offer comes a second after its join; the default grace (1.5 s) would still cover
    # it, a grace of 0.2 s would not: the agent must not offer on its own.
    agent, _ = await make_agent(agent_config(server.ws_url, negotiation=NegotiationOptions(offer_grace=5.0)))
    phone = await make_phone(server.ws_url, agent.code, offer_delay=1.0)
    await frames_from(agent, 3)
    assert phone.offers_answered == 0 and agent.negotiator.attempts == 1
    assert agent.negotiator.phone_caps == Capabilities(offers=True, resume=True, ack=True)


async def test_an_agent_that_resumes_learns_what_the_phone_announced(server, make_agent, make_phone):
    proxy = TcpProxy(server.port)
    await proxy.start()
    try:
        agent, events = await make_agent(agent_config(f"ws://127.0.0.1:{proxy.port}/ws"))
        await make_phone(server.ws_url, agent.code, answer_only=True)
        await frames_from(agent, 1)
        agent.negotiator.phone_caps = None  # forgotten: only the resume can tell it again
        proxy.cut()
        await events.wait("resumed")
        for _ in range(200):  # the negotiator takes cam-resumed from its queue: up to 10 s
            if agent.negotiator.phone_caps is not None:
                break
            await asyncio.sleep(0.05)
        assert agent.negotiator.phone_caps == Capabilities(offers=False, resume=True, ack=True)
    finally:
        await proxy.stop()
