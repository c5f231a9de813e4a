"""One WebRTC peer connection attempt with the phone (aiortc): answers an offer or makes a receive-only
offer, takes trickled candidates, and reports its state. The agent makes a fresh PeerAttempt for every
attempt (a new offer, a rejoin, a connect time-out), so a connection never has to be renegotiated."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.sdp import SessionDescription

from desktop_receiver.webrtc import sdputil
from desktop_receiver.webrtc.ice import IceServerOptions, is_end_of_candidates, parse_candidate, pinned_hosts
from signaling.cli import nested, option

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeerOptions:
    """Everything a peer connection attempt needs to know."""

    ice: IceServerOptions = nested(IceServerOptions)
    ice_hosts: tuple[str, ...] = option(
        (),
        "use only this address for host candidates (repeatable; e.g. 127.0.0.1 or one LAN address); "
        "none: every interface but loopback",
        flag="--ice-host",
        metavar="ADDR",
    )
    # None keeps aiortc's order (VP8 first).
    prefer_codec: str | None = option(None, "codec to put first in the answer", choices=("h264", "vp8"))
    start_bitrate_kbps: int = option(
        4000, "x-google-start-bitrate hint to browsers", flag="--start-bitrate", metavar="KBPS"
    )
    min_bitrate_kbps: int = option(1500, "x-google-min-bitrate hint", flag="--min-bitrate", metavar="KBPS")
    max_bitrate_kbps: int | None = option(
        8000, "x-google-max-bitrate hint (0: none)", flag="--max-bitrate", metavar="KBPS"
    )
    connect_timeout: float = option(
        15.0,
        "end a connection attempt that is not up this long after the handshake, then start a new one",
        metavar="S",
    )


class PeerAttempt:
    """A receive-only video peer connection for one attempt.

    `on_track(attempt, track)` is called with the remote video track; `on_state(attempt, state)` with
    every connection state change and with "timeout" when the connection is not up within
    `connect_timeout` after the descriptions were exchanged."""

    def __init__(
        self,
        options: PeerOptions,
        attempt: int,
        on_track: Callable[[PeerAttempt, MediaStreamTrack], None],
        on_state: Callable[[PeerAttempt, str], None],
    ) -> None:
        self.options = options
        self.attempt = attempt
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=options.ice.servers()))
        self.codec: str | None = None
        self.track: MediaStreamTrack | None = None
        self.remote_ufrag: str | None = None
        self.candidates_ended = False
        self.closed = False
        self._on_state = on_state
        self._timer: asyncio.TimerHandle | None = None
        self.connected_at: float | None = None
        self.started_at = asyncio.get_running_loop().time()

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.track = track
                on_track(self, track)

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            state = self.pc.connectionState
            if state == "connected":
                self._cancel_timer()
                self.connected_at = asyncio.get_running_loop().time()
            self._on_state(self, state)

    # -- descriptions ---------------------------------------------------------------------------

    def _add_video_transceiver(self) -> RTCRtpTransceiver:
        """A recvonly video transceiver with our codec preference, made before the remote offer is set
        so that aiortc's codec negotiation (done in setRemoteDescription) sees the preference."""
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        if self.options.prefer_codec:
            wanted = f"video/{self.options.prefer_codec}".lower()
            codecs = RTCRtpReceiver.getCapabilities("video").codecs
            first = [c for c in codecs if c.mimeType.lower() == wanted]
            rest = [c for c in codecs if c.mimeType.lower() != wanted]
            transceiver.setCodecPreferences(first + rest)
        return transceiver

    async def _set_local(self, description: RTCSessionDescription) -> str:
        # aiortc gathers every local candidate here (half-trickle): pin the host addresses for it.
        with pinned_hosts(self.options.ice_hosts):
            await self.pc.setLocalDescription(description)
        opts = self.options
        sdp = self.pc.localDescription.sdp
        return sdputil.add_bitrate_hints(
            sdp, opts.start_bitrate_kbps, opts.min_bitrate_kbps, opts.max_bitrate_kbps
        )

    @staticmethod
    def check_offer(offer_sdp: str) -> None:
        """Raises ValueError unless the SDP parses and offers video: checked before the current
        connection is replaced, so a broken offer cannot take down a working stream."""
        try:
            parsed = SessionDescription.parse(offer_sdp)
        except Exception as exc:  # aiortc's parser raises assorted errors on junk
            raise ValueError(f"unparsable SDP: {exc}") from exc
        if not any(m.kind == "video" for m in parsed.media):
            raise ValueError("the offer has no video section")

    async def answer(self, offer_sdp: str) -> str:
        """Applies the phone's offer and returns our answer SDP (with all our candidates)."""
        self._add_video_transceiver()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self._remote_set(offer_sdp)
        answer = await self.pc.createAnswer()
        sdp = await self._set_local(answer)
        codecs = sdputil.video_codecs(sdp)
        self.codec = codecs[0] if codecs else None
        self._start_timer()
        return sdp

    async def offer(self) -> str:
        """Makes a receive-only video offer (for phones that only answer) and returns its SDP."""
        self._add_video_transceiver()
        offer = await self.pc.createOffer()
        # No connect timer yet: a phone page may take its time to answer (camera permission); the
        # timer covers the connection once the answer is in.
        return await self._set_local(offer)

    @property
    def awaiting_answer(self) -> bool:
        """True while our own offer is pending (the glare window)."""
        return self.pc.signalingState == "have-local-offer"

    @property
    def has_remote(self) -> bool:
        """True once the remote description is set (candidates can be added)."""
        return self.pc.remoteDescription is not None

    async def accept_answer(self, answer_sdp: str) -> None:
        """Applies the phone's answer to our offer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
        self._remote_set(answer_sdp)
        codecs = sdputil.video_codecs(answer_sdp)
        self.codec = codecs[0] if codecs else None
        self._start_timer()

    def _remote_set(self, sdp: str) -> None:
        self.remote_ufrag = sdputil.ice_ufrag(sdp)
        # A description that carries its candidates and ends them: any trickled one is late.
        self.candidates_ended = "a=end-of-candidates" in sdp

    # -- candidates -----------------------------------------------------------------------------

    def belongs_here(self, payload: Any) -> bool:
        """False for a candidate that names another ICE session (a stale one from an earlier attempt)."""
        ufrag = payload.get("usernameFragment") if isinstance(payload, dict) else None
        return not ufrag or not self.remote_ufrag or ufrag == self.remote_ufrag

    async def add_candidate(self, payload: Any) -> bool:
        """Adds one trickled remote candidate, or ends them; returns False if it was dropped as late.

        Raises ValueError for a malformed candidate (even a late one: garbage is always reported)."""
        end = is_end_of_candidates(payload)
        candidate = None if end else parse_candidate(payload)
        if self.candidates_ended:
            return False  # aioice raises on a candidate after end-of-candidates
        if end:
            self.candidates_ended = True
        await self.pc.addIceCandidate(candidate)
        return True

    # -- lifetime -------------------------------------------------------------------------------

    def _start_timer(self) -> None:
        if self._timer is None and not self.closed:
            self._timer = asyncio.get_running_loop().call_later(self.options.connect_timeout, self._timeout)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timeout(self) -> None:
        self._timer = None
        if not self.closed and self.pc.connectionState != "connected":
            self._on_state(self, "timeout")

    async def close(self) -> None:
        """Closes the peer connection (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._cancel_timer()
        try:
            await self.pc.close()
        except Exception:  # closing a half-set-up aiortc connection can raise; it is gone either way
            log.debug("closing peer connection %d failed", self.attempt, exc_info=True)
