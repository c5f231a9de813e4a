"""The negotiator alone (no server, no phone): a failed attempt of our own, a broken answer or an offer
that cannot be made, ends in a retry after `retry_delay`, not in silence."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from desktop_receiver.events import Event
from desktop_receiver.webrtc.negotiation import NegotiationOptions, Negotiator, OfferMode
from desktop_receiver.webrtc.peer import PeerAttempt, PeerOptions
from signaling.protocol import MsgType, message, relayed
from tests.receiver.conftest import LOOPBACK, TIMEOUT


class _Harness:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.events: list[Event] = []
        self.changed = asyncio.Event()
        self.negotiator = Negotiator(
            PeerOptions(ice_hosts=LOOPBACK),
            NegotiationOptions(offer_mode=OfferMode.ALWAYS, retry_delay=0.1),
            send=self._send,
            code=lambda: "ABCDEF",
            emit=self._emit,
            on_track=lambda track, peer: None,
        )

    async def _send(self, msg: dict[str, Any]) -> None:
        self.sent.append(msg)
        self.changed.set()

    def _emit(self, event: Event) -> None:
        self.events.append(event)
        self.changed.set()

    def offers(self) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == MsgType.OFFER]

    async def wait_offers(self, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while len(self.offers()) < count:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def harness():
    h = _Harness()
    h.negotiator.start()
    yield h
    await h.negotiator.stop()


async def test_a_broken_answer_is_followed_by_a_new_offer(harness):
    harness.negotiator.feed(message(MsgType.PEER_JOINED, code="ABCDEF"))
    await harness.wait_offers(1)
    broken = relayed(MsgType.ANSWER, "ABCDEF", {"type": "answer", "sdp": "v=0\r\nnot an answer\r\n"})
    harness.negotiator.feed(broken)
    await harness.wait_offers(2)
    assert any("answer" in getattr(e, "message", "") for e in harness.events)
    peer = harness.negotiator.peer
    assert peer is not None and peer.attempt == 2 and peer.awaiting_answer


async def test_an_offer_that_cannot_be_made_is_retried(harness, monkeypatch):
    real_offer = PeerAttempt.offer
    calls = 0

    async def offer_failing_once(self: PeerAttempt) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("no codecs today")
        return await real_offer(self)

    monkeypatch.setattr(PeerAttempt, "offer", offer_failing_once)
    harness.negotiator.feed(message(MsgType.PEER_JOINED, code="ABCDEF"))
    await harness.wait_offers(1)
    assert calls == 2 and any("cannot make an offer" in getattr(e, "message", "") for e in harness.events)
    peer = harness.negotiator.peer
    assert peer is not None and peer.attempt == 2 and not peer.closed
