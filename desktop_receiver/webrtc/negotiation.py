"""The WebRTC handshake with the phone, driven by signaling messages: answer every offer, offer a
receive-only transceiver at once to a joined phone that does not announce that it offers (the deployed
phone page never does), or when one that announced it sends none within a grace period, yield on glare, buffer
candidates that arrive before their description, drop late ones, and start a fresh attempt after a
connect time-out or a rejoin. Every input goes through one queue, so the steps never interleave."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiortc import MediaStreamTrack

from desktop_receiver.events import ErrorEvent, Event, PeerJoined, PeerLeft
from desktop_receiver.webrtc.ice import is_end_of_candidates
from desktop_receiver.webrtc.peer import PeerAttempt, PeerOptions
from signaling.cli import option
from signaling.protocol import Capabilities, MsgType, ProtocolError, Role, relayed, validate
from signaling.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class OfferMode(StrEnum):
    """When the agent offers: `auto` after the grace period, `never`, or `always` at once."""

    AUTO = "auto"
    NEVER = "never"
    ALWAYS = "always"


@dataclass(frozen=True)
class NegotiationOptions:
    """Handshake tunables."""

    offer_mode: OfferMode = option(
        OfferMode.AUTO,
        "auto: offer at once to a phone that does not announce offers in its cam-join, and when one "
        "that does sent no offer within --offer-grace; never; always: offer at once when a phone joins",
        flag="--offer",
    )
    offer_grace: float = option(
        1.5, "seconds a phone that announced it offers has to offer before the agent does", metavar="S"
    )
    retry_delay: float = 1.0  # before offering again after a failed attempt (no tight retry loop)
    candidate_buffer: int = 200


class Trigger(StrEnum):
    """What a timer or a peer connection attempt tells the negotiator (queued like a message)."""

    OFFER_DUE = "offer"  # the grace (after a join) or retry delay (after a failure) ran out
    TIMEOUT = "timeout"  # the attempt was not up within connect_timeout (PeerAttempt's own timer)
    FAILED = "failed"  # its connection state became "failed"
    CLOSED = "closed"  # or "closed"


# The peer connection states that end an attempt.
ENDING_STATES = frozenset({Trigger.TIMEOUT, Trigger.FAILED, Trigger.CLOSED})


@dataclass(frozen=True)
class _Internal:
    """A trigger about attempt number `attempt`."""

    trigger: Trigger
    attempt: int


class Negotiator:
    """Owns the current PeerAttempt and turns signaling messages into peer actions."""

    def __init__(
        self,
        peer_options: PeerOptions,
        options: NegotiationOptions,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        code: Callable[[], str | None],
        emit: Callable[[Event], None],
        on_track: Callable[[MediaStreamTrack, PeerAttempt], None],
    ) -> None:
        self.peer_options = peer_options
        self.options = options
        self._send = send
        self._code = code
        self._emit = emit
        self._on_track = on_track
        self.peer: PeerAttempt | None = None
        self.attempts = 0
        self.joined_at: float | None = None  # wall time of the last cam-peer-joined
        self.phone_present = False
        # What the phone announced in its cam-join (cam-peer-joined's payload; cam-resumed's `peer`).
        self.phone_caps: Capabilities | None = None
        self._early: deque[Any] = deque(maxlen=options.candidate_buffer)
        self._queue: asyncio.Queue[dict[str, Any] | _Internal] = asyncio.Queue()
        self._offer_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._left_reported = False

    def start(self) -> None:
        """Starts the task that processes inputs one at a time."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    def feed(self, msg: dict[str, Any]) -> None:
        """Queues a signaling message (non-blocking; called from the client's read loop)."""
        self._queue.put_nowait(msg)

    async def stop(self) -> None:
        """Stops processing and closes the peer connection."""
        self._cancel_offer_timer()
        await cancel_and_wait(self._task)
        if self.peer is not None:
            await self.peer.close()
            self.peer = None

    def forget_session(self) -> None:
        """The code changed (the server could not resume): the old phone cannot reach us any more, and
        no phone has joined the new code yet."""
        self.phone_present = False
        self.joined_at = None
        self.phone_caps = None
        self._cancel_offer_timer()
        self._early.clear()

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, _Internal):
                    await self._internal(item)
                else:
                    await self._message(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one bad input must not end the agent
                log.exception("handling %r failed", item)
                self._emit(ErrorEvent(message=f"{type(exc).__name__}: {exc}", where="negotiation"))

    # -- signaling messages ---------------------------------------------------------------------

    async def _message(self, msg: dict[str, Any]) -> None:
        type_ = msg.get("type")
        if type_ in (MsgType.OFFER, MsgType.ANSWER, MsgType.ICE):
            try:
                checked = validate(msg)
            except ProtocolError as exc:
                text = f"bad {type_} from the phone: {exc.message}"
                self._emit(ErrorEvent(message=text, where="signaling"))
                return
            payload = checked.payload
            if type_ == MsgType.OFFER:
                await self._on_offer(payload["sdp"])
            elif type_ == MsgType.ANSWER:
                await self._on_answer(payload["sdp"])
            else:
                await self._on_ice(payload)
        elif type_ == MsgType.PEER_JOINED:
            await self._on_joined(Capabilities.from_payload(msg.get("payload")))
        elif type_ == MsgType.RESUMED:
            self.phone_caps = Capabilities.from_payload(msg.get("peer"))
        elif type_ == MsgType.PEER_LEFT:
            if msg.get("role") in (None, Role.PHONE):
                self.phone_present = False
                self._cancel_offer_timer()
                self._left("the phone's signaling socket closed")
        elif type_ == MsgType.ERROR:
            text = f"{msg.get('code')}: {msg.get('message', '')}".rstrip(": ")
            self._emit(ErrorEvent(message=f"server error {text}", where="server"))
        else:
            log.debug("ignoring %s", type_)

    async def _on_joined(self, caps: Capabilities | None) -> None:
        self.phone_caps = caps
        self._left_reported = False
        self.joined_at = time.time()
        self.phone_present = True
        self._early.clear()
        code = self._code()
        self._emit(PeerJoined(code=code or ""))
        # A phone that (re)joins gets a fresh peer connection.
        await self._close_peer()
        self._cancel_offer_timer()
        mode = self.options.offer_mode
        if mode is OfferMode.ALWAYS or (mode is OfferMode.AUTO and not (caps and caps.offers)):
            # A phone that does not say it offers (the deployed page sends payload: null) waits for
            # our offer: a grace period would only delay its first frame.
            await self._offer()
        elif mode is OfferMode.AUTO:
            self._schedule_offer(self.options.offer_grace)

    async def _on_offer(self, sdp: str) -> None:
        try:
            PeerAttempt.check_offer(sdp)
        except ValueError as exc:
            self._emit(ErrorEvent(message=f"ignoring the phone's offer: {exc}", where="offer"))
            return
        self._cancel_offer_timer()
        self.phone_present = True
        self._left_reported = False
        # The new connection is built next to the current one, which is closed only once the offer
        # is answered: a broken offer must not take down a working stream.
        peer = self._new_attempt()
        try:
            answer = await peer.answer(sdp)
        except Exception as exc:
            await peer.close()
            self._emit(ErrorEvent(message=f"cannot answer the phone's offer: {exc}", where="offer"))
            return
        if self.peer is not None and self.peer.awaiting_answer:
            log.info("glare: dropping our offer (attempt %d) to answer the phone's", self.peer.attempt)
        await self._close_peer()
        self.peer = peer
        if peer.track is not None:
            self._on_track(peer.track, peer)
        await self._send(relayed(MsgType.ANSWER, self._code() or "", {"type": "answer", "sdp": answer}))
        await self._apply_early(peer)

    async def _on_answer(self, sdp: str) -> None:
        peer = self.peer
        if peer is None or not peer.awaiting_answer:
            log.info("ignoring an answer with no offer of ours pending")
            return
        try:
            await peer.accept_answer(sdp)
        except Exception as exc:
            await self._end_attempt(f"cannot apply the phone's answer: {exc}", "answer")
            return
        await self._apply_early(peer)

    async def _on_ice(self, payload: Any) -> None:
        peer = self.peer
        if peer is None or not peer.has_remote:
            self._early.append(payload)  # before its description: keep it for the next one
            return
        await self._add_candidate(peer, payload)

    async def _add_candidate(self, peer: PeerAttempt, payload: Any, keep_foreign: bool = True) -> None:
        if not is_end_of_candidates(payload) and not peer.belongs_here(payload):
            if keep_foreign:
                # Another ICE session: maybe the next offer's, trickled ahead of it. Keep it for that one.
                self._early.append(payload)
            else:
                log.info("dropping a buffered candidate of another ICE session")
            return
        try:
            if not await peer.add_candidate(payload):
                log.info("dropping a candidate after end-of-candidates")
        except ValueError as exc:
            self._emit(ErrorEvent(message=f"bad ICE candidate: {exc}", where="ice"))

    async def _apply_early(self, peer: PeerAttempt) -> None:
        early, self._early = list(self._early), deque(maxlen=self.options.candidate_buffer)
        for payload in early:
            # Buffered ones had their chance: one of yet another ICE session is dropped, not kept again.
            await self._add_candidate(peer, payload, keep_foreign=False)

    # -- attempts -------------------------------------------------------------------------------

    def _new_attempt(self) -> PeerAttempt:
        """A PeerAttempt for the next attempt (not yet self.peer)."""
        self.attempts += 1
        return PeerAttempt(self.peer_options, self.attempts, self._track, self._peer_state)

    def _track(self, peer: PeerAttempt, track: MediaStreamTrack) -> None:
        # A connection still being set up (not yet self.peer) gets its track attached when it takes over.
        if peer is self.peer:
            self._on_track(track, peer)

    async def _offer(self) -> None:
        await self._close_peer()
        peer = self.peer = self._new_attempt()
        try:
            sdp = await peer.offer()
        except Exception as exc:
            await self._end_attempt(f"cannot make an offer (attempt {peer.attempt}): {exc}", "offer")
            return
        await self._send(relayed(MsgType.OFFER, self._code() or "", {"type": "offer", "sdp": sdp}))

    async def _close_peer(self) -> None:
        peer, self.peer = self.peer, None
        if peer is not None:
            await peer.close()

    def _peer_state(self, peer: PeerAttempt, state: str) -> None:
        if peer is self.peer and state in ENDING_STATES:
            self._queue.put_nowait(_Internal(Trigger(state), peer.attempt))

    async def _internal(self, item: _Internal) -> None:
        if item.trigger is Trigger.OFFER_DUE:
            # Still no offer from the phone since the timer was set (after the join: it only answers,
            # like the deployed phone page; after a failure: we retry), so offer.
            if self.phone_present and self.peer is None and item.attempt == self.attempts:
                await self._offer()
            return
        peer = self.peer
        if peer is None or peer.attempt != item.attempt:
            return  # about an attempt that was replaced meanwhile
        if item.trigger is Trigger.TIMEOUT:
            await self._end_attempt(
                f"connection attempt {item.attempt} not up after "
                f"{self.peer_options.connect_timeout:g} s; starting a new attempt",
                "ice",
            )
        elif peer.connected_at is not None:
            await self._end_attempt(None, "ice")
            self._left(f"peer connection {item.trigger}")
        else:
            await self._end_attempt(f"connection attempt {item.attempt} {item.trigger}", "ice")

    async def _end_attempt(self, error: str | None, where: str) -> None:
        """The current attempt failed (broken answer, failed offer, time-out, connection lost): close
        it, report `error`, and offer again after `retry_delay` if the phone is still there."""
        await self._close_peer()
        if error is not None:
            self._emit(ErrorEvent(message=error, where=where))
        if self.phone_present and self.options.offer_mode is not OfferMode.NEVER:
            self._schedule_offer(self.options.retry_delay)

    def _schedule_offer(self, delay: float) -> None:
        self._cancel_offer_timer()
        self._offer_timer = asyncio.get_running_loop().call_later(
            delay, self._queue.put_nowait, _Internal(Trigger.OFFER_DUE, self.attempts)
        )

    def _left(self, reason: str) -> None:
        # One departure closes both the socket and the peer connection: report it once.
        if not self._left_reported:
            self._left_reported = True
            self._emit(PeerLeft(reason=reason))

    def _cancel_offer_timer(self) -> None:
        if self._offer_timer is not None:
            self._offer_timer.cancel()
            self._offer_timer = None
