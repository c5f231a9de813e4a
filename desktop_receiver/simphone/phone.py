"""The simulated phone: joins a pairing session, offers its synthetic camera (or only answers, like the
deployed phone page), trickles its ICE candidates one by one as a browser does, and streams."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from desktop_receiver.simphone.sources import SourceOptions, SyntheticCamera
from desktop_receiver.simphone.transport import PhoneTransport, make_transport
from desktop_receiver.simphone.trust import Trust
from desktop_receiver.webrtc import sdputil
from desktop_receiver.webrtc.ice import candidate_payload, is_end_of_candidates, parse_candidate, pinned_hosts
from signaling.protocol import Capabilities, MsgType, relayed
from signaling.tasks import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhoneOptions:
    """How the simulated phone behaves."""

    transport: str = "ws"  # "ws" or "rest"
    answer_only: bool = False  # wait for the desktop's offer, like the deployed phone page
    # Announce in cam-join what the phone does (offers unless answer_only, resumes, acknowledges);
    # False: `payload: null`, as the deployed phone page joins.
    announce: bool = True
    ice_hosts: tuple[str, ...] = ()  # host candidate addresses (tests pin 127.0.0.1)
    codec: str | None = None  # offer only this codec ("vp8" or "h264"); None: aiortc's list
    trickle: bool = True  # False: candidates stay in the SDP
    candidates_first: bool = False  # trickle the candidates before sending the offer
    trickle_delay: float = 0.0  # seconds between trickled candidates
    offer_delay: float = 0.0  # seconds between the join and the offer (a camera takes time to start)
    # On glare the phone keeps its own offer (the desktop yields), unless its offer is older than this:
    # then it was lost (e.g. during the desktop's reconnect) and the desktop's offer is answered.
    own_offer_patience: float = 3.0
    # Fault: the first offer's candidates are never sent and the answer to it is ignored, so that
    # connection attempt stalls (the desktop's connect time-out must start a new one).
    stall_first: bool = False
    source: SourceOptions = field(default_factory=SourceOptions)
    # On an https/wss server: the certificates it may present (simphone.trust; True: the system's).
    ssl: Trust = True


class SimulatedPhone:
    """One phone. `start()` joins (and offers); `leave()` closes everything (and `start()` joins again)."""

    def __init__(self, server: str, code: str, options: PhoneOptions | None = None) -> None:
        self.server = server
        self.code = code
        self.options = options or PhoneOptions()
        self.transport: PhoneTransport | None = None
        self.pc: RTCPeerConnection | None = None
        self.camera: SyntheticCamera | None = None
        self.connected = asyncio.Event()
        self.errors: list[dict[str, Any]] = []
        # cam-calibration and cam-data from the desktop, in order
        self.from_desktop: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.offers_answered = 0
        self._stalling = self.options.stall_first
        self._offered_at = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Joins the session and, unless answer-only, sends an offer with trickled candidates."""
        self.transport = make_transport(
            self.options.transport, self.server, self.code, self.capabilities, self.options.ssl
        )
        await self.transport.join()
        self._task = asyncio.get_running_loop().create_task(self._read())
        if not self.options.answer_only:
            await asyncio.sleep(self.options.offer_delay)
            await self._offer()

    @property
    def capabilities(self) -> Capabilities | None:
        """What this phone announces in its cam-join (None with announce=False)."""
        if not self.options.announce:
            return None
        return Capabilities(
            offers=not self.options.answer_only, resume=self.options.transport == "ws", ack=True
        )

    @property
    def frames_sent(self) -> int:
        """Frames handed to the encoder so far."""
        return self.camera.sent if self.camera else 0

    async def _new_pc(self) -> RTCPeerConnection:
        await self._close_pc()
        self.connected.clear()
        # No ICE servers: aiortc's default public STUN server would stall offline.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.camera = SyntheticCamera(self.options.source)

        @pc.on("connectionstatechange")
        def _state() -> None:
            log.info("phone pc %s", pc.connectionState)
            if pc.connectionState == "connected":
                self.connected.set()

        self.pc = pc
        return pc

    def _restrict_codec(self, pc: RTCPeerConnection) -> None:
        if not self.options.codec:
            return
        wanted = f"video/{self.options.codec}".lower()
        codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() == wanted]
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video":
                transceiver.setCodecPreferences(codecs)

    async def _set_local(self, pc: RTCPeerConnection, description: RTCSessionDescription) -> None:
        with pinned_hosts(self.options.ice_hosts):
            await pc.setLocalDescription(description)

    async def _offer(self) -> None:
        pc = await self._new_pc()
        pc.addTransceiver(self.camera, direction="sendonly")
        self._restrict_codec(pc)
        await self._set_local(pc, await pc.createOffer())
        self._offered_at = asyncio.get_running_loop().time()
        await self._send_description(MsgType.OFFER, pc.localDescription.sdp)

    async def _answer(self, offer_sdp: str) -> None:
        pc = await self._new_pc()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        pc.addTrack(self.camera)
        self._restrict_codec(pc)
        await self._set_local(pc, await pc.createAnswer())
        await self._send_description(MsgType.ANSWER, pc.localDescription.sdp)
        self.offers_answered += 1

    async def _send_description(self, type_: MsgType, sdp: str) -> None:
        assert self.transport is not None
        kind = "offer" if type_ is MsgType.OFFER else "answer"
        if not self.options.trickle:
            await self.transport.send(relayed(type_, self.code, {"type": kind, "sdp": sdp}))
            return
        bare, candidates = sdputil.strip_candidates(sdp)
        if self._stalling and type_ is MsgType.OFFER:
            await self.transport.send(relayed(type_, self.code, {"type": kind, "sdp": bare}))
            return
        trickle = [candidate_payload(c.line, c.sdp_mid, c.sdp_mline_index, c.ufrag) for c in candidates]
        if not self.options.candidates_first:
            await self.transport.send(relayed(type_, self.code, {"type": kind, "sdp": bare}))
        for payload in trickle:
            await self.transport.send(relayed(MsgType.ICE, self.code, payload))
            if self.options.trickle_delay:
                await asyncio.sleep(self.options.trickle_delay)
        await self.transport.send(relayed(MsgType.ICE, self.code, None))  # end of candidates
        if self.options.candidates_first:
            await self.transport.send(relayed(type_, self.code, {"type": kind, "sdp": bare}))

    async def _read(self) -> None:
        assert self.transport is not None
        while True:
            msg = await self.transport.inbox.get()
            try:
                await self._handle(msg)
            except Exception:  # keep the phone alive for the test to observe
                log.exception("simulated phone failed on %s", msg.get("type"))

    async def _handle(self, msg: dict[str, Any]) -> None:
        type_ = msg.get("type")
        payload = msg.get("payload")
        if type_ == MsgType.ANSWER and self._stalling:
            self._stalling = False  # the stalled attempt: ignore its answer
        elif type_ == MsgType.ANSWER and self.pc is not None and isinstance(payload, dict):
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=payload["sdp"], type="answer"))
        elif type_ == MsgType.OFFER and isinstance(payload, dict):
            pending = self.pc is not None and self.pc.signalingState == "have-local-offer"
            age = asyncio.get_running_loop().time() - self._offered_at
            if pending and age < self.options.own_offer_patience:
                log.info("glare: keeping our own offer (the desktop yields)")
                return
            await self._answer(payload["sdp"])
        elif type_ == MsgType.ICE and self.pc is not None and self.pc.remoteDescription is not None:
            await self.pc.addIceCandidate(None if is_end_of_candidates(payload) else parse_candidate(payload))
        elif type_ == MsgType.ERROR:
            self.errors.append(msg)
        elif type_ in (MsgType.CALIBRATION, MsgType.DATA):
            self.from_desktop.put_nowait(msg)

    async def reoffer(self) -> None:
        """Sends a fresh offer on the same session (a new peer connection, as after a page reload)."""
        await self._offer()

    async def drop_socket(self) -> None:
        """Drops the signaling WebSocket (the transport reconnects and resumes); media keeps flowing."""
        drop = getattr(self.transport, "drop", None)
        if drop is None:
            raise RuntimeError("only the WebSocket transport can drop its socket")
        await drop()

    async def _close_pc(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()
        if self.camera is not None:
            self.camera.stop()

    async def leave(self) -> None:
        """Closes the peer connection and the signaling connection."""
        await cancel_and_wait(self._task)
        self._task = None
        await self._close_pc()
        if self.transport is not None:
            await self.transport.close()
            self.transport = None
