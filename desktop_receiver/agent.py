"""The desktop agent and its Python API: pairs with a phone through a signaling server (its own embedded
one by default), receives the camera over WebRTC and serves the frames as numpy arrays.

    agent = Agent(AgentConfig(server_url=None))
    await agent.start()                 # returns once the pairing code is known: agent.code, agent.phone_url
    frame = await agent.next_frame()    # Frame(image=np.ndarray (h, w, 3) BGR, meta=FrameMeta(...))
    agent.subscribe(print)              # every Event
    await agent.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, replace
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack

from desktop_receiver.calibration.runner import FrameCalibrator
from desktop_receiver.calibration.tracker import TrackerUpdate
from desktop_receiver.config import AgentConfig
from desktop_receiver.embedded import code_event, start_embedded, stop_embedded
from desktop_receiver.events import (
    Connected,
    ErrorEvent,
    Event,
    EventBus,
    FirstFrame,
    PeerLeft,
    Reconnecting,
    Resumed,
    Stats,
    Stopped,
)
from desktop_receiver.media.frames import Frame, FrameConsumer, FrameSink
from desktop_receiver.pairing.client import SignalingClient
from desktop_receiver.pairing.interface import ClientListener, ClientOptions, PairingInfo
from desktop_receiver.pairing.renewal import CodeRenewal
from desktop_receiver.scoring import CameraInfo, ScoreKeeper, ScoreServer
from desktop_receiver.stages import StageError, make_stages
from desktop_receiver.webrtc.negotiation import Negotiator
from desktop_receiver.webrtc.peer import PeerAttempt
from signaling.protocol import MsgType, relayed
from signaling.server import SignalingServer

log = logging.getLogger(__name__)
# Makes the agent's signaling client (a seam: tests give a stand-in).
ClientFactory = Callable[[str, ClientListener, ClientOptions], SignalingClient]


class AgentError(RuntimeError):
    """The agent cannot go on (server unreachable, bad configuration)."""


class Agent(ClientListener):
    """Pairs with one phone at a time and keeps receiving its video until stopped."""

    def __init__(
        self, config: AgentConfig | None = None, client_factory: ClientFactory = SignalingClient
    ) -> None:
        self.config = config or AgentConfig()
        self._client_factory = client_factory
        self.events = EventBus()
        self.sink = FrameSink(on_first_frame=self._first_frame, window=max(self.config.stats_interval, 2.0))
        self.server: SignalingServer | None = None  # the embedded one (without server_url)
        self.client: SignalingClient | None = None
        self.negotiator: Negotiator | None = None
        self.info: PairingInfo | None = None
        self.connections = 0
        self.fatal: str | None = None
        self._consumers: list[FrameConsumer] = []
        self.calibrator: FrameCalibrator | None = None
        # With --autoscore: the visit and its stream (the Python API that feeds darts), and its server.
        self.scoring: ScoreKeeper | None = ScoreKeeper(self.emit) if self.config.scoring else None
        self.score_server: ScoreServer | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._code_ready = asyncio.Event()
        self._done = asyncio.Event()
        self._stats_task: asyncio.Task[None] | None = None
        self.renewal = CodeRenewal(
            current=lambda: None if self._stopped or self.client is None else self.code,
            joined=lambda: bool(self.negotiator and self.negotiator.joined_at),
            connected=self._phone_connected,
            renew=lambda reason: self._spawn(self._renew(reason), "renewing the code"),
            rejoin_wait=self.config.base_rejoin_wait,
        )
        self._started_at = time.time()
        self._stopped = False
        self._api_last = 0  # index of the last frame next_frame() returned

    # -- public API -----------------------------------------------------------------------------

    @property
    def code(self) -> str | None:
        """The current pairing code."""
        return self.info.code if self.info else None

    @property
    def phone_url(self) -> str | None:
        """The URL the phone opens (what the QR code holds)."""
        return self.info.phone_url if self.info else None

    async def start(self) -> None:
        """Starts the (embedded) server, the signaling client and the consumers; returns once the pairing
        code is known, or once `stop()` was called meanwhile (then `code` is None). Raises AgentError if
        the server is unreachable (`give_up_after`) or no code arrives within `start_timeout`."""
        try:
            stages = await make_stages(self)
        except StageError as exc:
            raise AgentError(str(exc)) from exc
        url = self.config.server_url
        client_options = self.config.client
        if url is None:
            try:
                self.server, trust = await start_embedded(self.config)
            except ValueError as exc:
                raise AgentError(str(exc)) from exc
            url = self.server.ws_url
            client_options = replace(client_options, ssl=trust)
        self.negotiator = Negotiator(
            self.config.peer,
            self.config.negotiation,
            send=self._send,
            code=lambda: self.code,
            emit=self.emit,
            on_track=self._track,
        )
        self.negotiator.start()
        for name, stage in stages:
            self.add_consumer(stage, name)
        await self._start_score_server()
        self.client = self._client_factory(url, self, client_options)
        await self.client.start()
        self._stats_task = asyncio.get_running_loop().create_task(self._stats_loop())
        self.events.subscribe(self._watch_departures)
        waiter = asyncio.ensure_future(self._code_ready.wait())
        done = asyncio.ensure_future(self._done.wait())
        # Long enough for the client to give up on an unreachable server by itself, whose reason is
        # clearer than "no code": its last attempt may start just before give_up_after and then take
        # the longest back-off (with jitter) and a whole connect_timeout.
        opts = client_options
        give_up = opts.give_up_after + opts.backoff_max * 1.2 + opts.connect_timeout + 1.0
        wait = max(self.config.start_timeout, give_up)
        await asyncio.wait([waiter, done], timeout=wait, return_when="FIRST_COMPLETED")
        waiter.cancel()
        done.cancel()
        if not self._code_ready.is_set():
            if self._stopped and self.fatal is None:
                return  # stop() during the start (e.g. Ctrl-C): a stop, not a failure
            reason = self.fatal or f"no pairing code from {url} within {wait:g} s"
            await self.stop(reason=reason)
            raise AgentError(reason)

    async def next_frame(self, timeout: float | None = None) -> Frame:
        """The newest frame not yet returned by this method (waits for one; TimeoutError on `timeout`)."""
        frame = await self.sink.next_frame(after=self._api_last, timeout=timeout)
        self._api_last = frame.meta.index
        return frame

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Calls `callback(event)` on the event loop for every event; returns the unsubscribe function."""
        return self.events.subscribe(callback)

    def watch_frames(self, callback: Callable[[Frame], None]) -> Callable[[], None]:
        """Calls `callback(frame)` on the event loop with every decoded frame; it must be quick
        (counting, stop conditions: work on the pictures belongs in `add_consumer`). Returns the function
        that stops it."""
        return self.sink.watch(callback)

    def add_consumer(self, handler: Callable[[Frame], None], name: str) -> FrameConsumer:
        """Runs `handler(frame)` in its own thread on the newest frames (skipping those it is too slow
        for). The hook for the calibration and for user code that blocks."""
        loop = asyncio.get_running_loop()

        def failed(consumer: str, exc: BaseException) -> None:
            event = ErrorEvent(message=f"consumer {consumer}: {exc}", where=consumer)
            loop.call_soon_threadsafe(self.emit, event)

        consumer = FrameConsumer(self.sink, handler, name, on_error=failed)
        consumer.start()
        self._consumers.append(consumer)
        return consumer

    async def send_to_phone(self, type_: MsgType, payload: Any) -> None:
        """Relays a message to the phone of the current session (e.g. `cam-calibration` with
        {H, imageSize, errorPx, createdAt}); queued while the signaling socket is down and sent once the
        session is resumed (dropped if the server gives a new code instead: nobody is left to get it;
        the agent re-sends its calibration for the new code itself). From a consumer
        thread: `asyncio.run_coroutine_threadsafe(agent.send_to_phone(...), loop)`."""
        if type_ not in (MsgType.CALIBRATION, MsgType.DATA):
            raise ValueError(f"only cam-calibration and cam-data go to the phone this way, not {type_}")
        if self.code is None:
            raise AgentError("no pairing session yet")
        await self._send(relayed(type_, self.code, payload))

    async def wait_stopped(self) -> None:
        """Returns when the agent has stopped (by `stop()` or a fatal error)."""
        await self._done.wait()

    async def stop(self, reason: str = "stopped") -> None:
        """Stops everything and emits `stopped` with the totals (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.renewal.cancel()
        if self._stats_task is not None:
            self._stats_task.cancel()
        if self.client is not None:
            await self.client.stop()
        if self.negotiator is not None:
            await self.negotiator.stop()
        await self.sink.close()
        for consumer in self._consumers:
            await asyncio.to_thread(consumer.stop)
        if self.score_server is not None:
            await self.score_server.stop()
        if self.server is not None:
            await stop_embedded(self.server, self.config.server_stop_timeout)
        self.emit(
            Stopped(
                reason=reason,
                received=self.sink.received,
                decoded=self.sink.decoded,
                dropped=self.sink.dropped,
                connections=self.connections,
                seconds=round(time.time() - self._started_at, 3),
            )
        )
        self._done.set()

    def emit(self, event: Event) -> None:
        """Publishes an event to every subscriber."""
        self.events.emit(event)

    # -- wiring ---------------------------------------------------------------------------------

    async def _start_score_server(self) -> None:
        """The score interfaces (with --autoscore); AgentError when their address cannot be bound."""
        if self.scoring is None or self.config.scoring is None:
            return
        host, port = self.config.scoring.address
        self.score_server = ScoreServer(self.scoring, host, port, self._camera_info)
        try:
            await self.score_server.start()
        except OSError as exc:
            self.score_server = None
            await self.stop(reason=f"score interfaces: cannot listen on {host}:{port}")
            raise AgentError(f"score interfaces: cannot listen on {host}:{port}: {exc}") from exc

    def _camera_info(self) -> CameraInfo:
        """For the score interfaces: whether frames come (within the stats window), their rate and size."""
        stats = self.sink.stats()
        return CameraInfo(stats.fps > 0, stats.fps, stats.width or 0, stats.height or 0)

    def _calibrated(self, update: TrackerUpdate) -> None:
        """A calibration worth publishing: an event, and `cam-calibration` to the phone (see
        `_publish_calibration`)."""
        result = update.calibration
        self.emit(update.event())
        if self.scoring is not None:
            self.scoring.follow_calibration(result is not None)
        if result is not None and self.code is not None:
            self._spawn(self._publish_calibration(result.to_cam_calibration()), "publishing the calibration")

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        """Runs `coro` in the background: the task is kept until it ends, and an exception it ends with
        is logged and reported as an error event instead of vanishing."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._background.discard(task)
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.error("%s failed", what, exc_info=exc)
                self.emit(ErrorEvent(message=f"{what} failed: {type(exc).__name__}: {exc}"))

        task.add_done_callback(done)

    async def _publish_calibration(self, payload: dict[str, Any]) -> None:
        """`cam-calibration` to the phone. Our server stores what it relays (the deployed app reads it with
        GET /cam/calibration/{code}); a base-protocol server only relays, so it also gets the POST."""
        try:
            await self.send_to_phone(MsgType.CALIBRATION, payload)
            info = self.info
            if self.client is not None and info is not None and not info.extended:
                await self.client.post_calibration(info.code, payload)
        except (AgentError, OSError, aiohttp.ClientError, TimeoutError) as exc:
            self.emit(ErrorEvent(message=f"could not publish the calibration: {exc}", where="calibration"))

    async def _send(self, msg: dict[str, Any]) -> None:
        if self.client is not None:
            await self.client.send(msg)

    def _track(self, track: MediaStreamTrack, peer: PeerAttempt) -> None:
        self.sink.attach(track, peer.attempt)

    def _first_frame(self, frame: Frame) -> None:
        self.connections += 1
        negotiator = self.negotiator
        peer = negotiator.peer if negotiator else None
        connect_ms = None
        if peer is not None and peer.connected_at is not None:
            connect_ms = round((peer.connected_at - peer.started_at) * 1000, 1)
        meta = frame.meta
        self.emit(
            Connected(
                codec=peer.codec if peer else None,
                width=meta.width,
                height=meta.height,
                attempt=meta.attempt,
                ms_to_connect=connect_ms,
            )
        )
        joined = negotiator.joined_at if negotiator else None
        since = round((meta.wall_time - joined) * 1000, 1) if joined else None
        self.emit(FirstFrame(ms_since_join=since, width=meta.width, height=meta.height, attempt=meta.attempt))

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.stats_interval)
            if self.sink.received == 0:
                continue
            # The event carries exactly the sink's snapshot.
            self.emit(Stats(**asdict(self.sink.stats())))

    # -- signaling client callbacks -------------------------------------------------------------

    def on_code(self, info: PairingInfo, renewed: bool, reason: str | None) -> None:
        """A (new) pairing code: announce it and renew it if no phone joins before it expires."""
        self.info = info
        if renewed and self.negotiator is not None:
            self.negotiator.forget_session()
        current = self.calibrator.current if self.calibrator is not None else None
        if renewed and current is not None:
            # What was queued for the old code was dropped with it: the new session needs the
            # calibration too, and the tracker publishes again only when the camera moves.
            self._spawn(self._publish_calibration(current.to_cam_calibration()), "re-sending the calibration")
        self.emit(code_event(info, renewed, reason, self.server))
        self._code_ready.set()
        self.renewal.new_code(info)

    def _watch_departures(self, event: Event) -> None:
        if isinstance(event, PeerLeft) and self.info is not None:
            self.renewal.phone_left(self.info)

    def _phone_connected(self) -> bool:
        negotiator = self.negotiator
        peer = negotiator.peer if negotiator else None
        return peer is not None and peer.connected_at is not None and not peer.closed

    async def _renew(self, reason: str) -> None:
        if self.client is not None:
            await self.client.renew(reason)

    def on_resumed(self, info: PairingInfo) -> None:
        """The session survived the socket drop."""
        self.emit(Resumed(code=info.code))

    def on_disconnected(self, attempt: int, delay: float, reason: str) -> None:
        """The signaling socket is down (the media, if any, keeps flowing)."""
        self.emit(Reconnecting(attempt=attempt, delay=delay, reason=reason))

    def on_message(self, msg: dict[str, Any]) -> None:
        """A session message: the negotiator handles it in order."""
        if self.negotiator is not None:
            self.negotiator.feed(msg)

    def on_bad_message(self, reason: str) -> None:
        """The server sent something the client could not handle (skipped; the session goes on)."""
        self.emit(ErrorEvent(message=reason, where="signaling"))

    def on_fatal(self, reason: str) -> None:
        """The server is unreachable: stop with an error."""
        self.fatal = reason
        self.emit(ErrorEvent(message=reason, where="signaling", fatal=True))
        with contextlib.suppress(RuntimeError):  # no running loop: nothing left to stop
            self._spawn(self.stop(reason=reason), "stopping")
