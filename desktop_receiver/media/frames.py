"""The frame sink: drains the remote video track continuously, keeps only the newest frame as a numpy
BGR array, and serves it to consumers that never slow the receive loop.

aiortc has no backpressure (its decoded frames wait in an unbounded queue), so the drain task reads
`recv()` as fast as frames come, skips frames that are already superseded, and converts the rest with
`to_ndarray(format="bgr24")` in one worker thread. Consumers get the newest frame: coroutines with
`next_frame()`, worker threads (the dump, the calibration hook, user code) with `FrameConsumer`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from desktop_receiver.media import stamp
from signaling.tasks import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """What is known about a frame: `index` counts decoded frames over the agent's life (from 1)."""

    index: int
    wall_time: float
    width: int
    height: int
    pts: int | None
    attempt: int
    latency_ms: float | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded frame: a BGR uint8 array of shape (height, width, 3) and its metadata."""

    image: np.ndarray
    meta: FrameMeta


@dataclass(frozen=True, slots=True)
class SinkStats:
    """A snapshot of the sink's counters."""

    received: int
    decoded: int
    dropped: int
    fps: float
    width: int | None
    height: int | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _convert(frame: av.VideoFrame) -> tuple[np.ndarray, stamp.Stamp | None]:
    image = frame.to_ndarray(format="bgr24")
    return image, stamp.read_bgr(image)


class FrameSink:
    """Receives frames from one track at a time and keeps the newest."""

    def __init__(self, on_first_frame: Callable[[Frame], None] | None = None, window: float = 5.0) -> None:
        self.received = 0
        self.decoded = 0
        self.dropped = 0
        self.latest: Frame | None = None
        self._on_first_frame = on_first_frame
        self._window = window
        self._times: deque[float] = deque()
        self._latencies: deque[tuple[float, float]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[Frame]] = []
        self._latest_taken = True
        # Active consumers: a frame replaced before anyone took it is a drop only if someone consumes.
        self.consumers = 0
        self._api_consumer = False
        # Called on the event loop with every new frame; must be quick (counters, stop conditions).
        self._watchers: list[Callable[[Frame], None]] = []
        self.cond = threading.Condition()
        # One thread, so frames are converted in order and the event loop never blocks on swscale.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-convert")

    def attach(self, track: MediaStreamTrack, attempt: int) -> None:
        """Starts draining `track` (stopping the drain of any previous track)."""
        self.detach()
        self._task = asyncio.get_running_loop().create_task(self._drain(track, attempt))

    def detach(self) -> None:
        """Stops draining the current track."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _drain(self, track: MediaStreamTrack, attempt: int) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                log.info("video track of attempt %d ended", attempt)
                return
            self.received += 1
            # aiortc's private queue tells whether newer frames already wait: converting this one
            # would only add latency, so skip it (the receive loop must never fall behind).
            pending = getattr(track, "_queue", None)
            if pending is not None and pending.qsize() > 0:
                self.dropped += 1
                continue
            try:
                image, found = await loop.run_in_executor(self._executor, _convert, frame)
            except (ValueError, av.error.FFmpegError) as exc:
                log.warning("frame conversion failed: %s", exc)
                continue
            now = time.time()
            self.decoded += 1
            latency = found.age_ms(now) if found is not None else None
            meta = FrameMeta(
                index=self.decoded,
                wall_time=now,
                width=image.shape[1],
                height=image.shape[0],
                pts=frame.pts,
                attempt=attempt,
                latency_ms=latency,
                seq=found.seq if found is not None else None,
            )
            self._publish(Frame(image, meta), latency)
            if first and self._on_first_frame is not None:
                first = False
                self._on_first_frame(self.latest)

    def _publish(self, frame: Frame, latency: float | None) -> None:
        now = frame.meta.wall_time
        self._times.append(now)
        if latency is not None:
            self._latencies.append((now, latency))
        horizon = now - self._window
        while self._times and self._times[0] < horizon:
            self._times.popleft()
        while self._latencies and self._latencies[0][0] < horizon:
            self._latencies.popleft()
        if not self._latest_taken and self.consumers > 0:
            self.dropped += 1
        with self.cond:
            self.latest = frame
            self._latest_taken = False
            self.cond.notify_all()
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(frame)
        for watcher in list(self._watchers):
            watcher(frame)

    def watch(self, callback: Callable[[Frame], None]) -> Callable[[], None]:
        """Calls `callback(frame)` on the event loop with every new frame (it must be quick); returns
        the function that stops it."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback) if callback in self._watchers else None

    def mark_taken(self) -> None:
        """Tells the sink that a consumer took the newest frame (it is not a drop)."""
        self._latest_taken = True

    async def next_frame(self, after: int = 0, timeout: float | None = None) -> Frame:
        """The newest frame with an index above `after`, waiting for one if needed."""
        if not self._api_consumer:
            self._api_consumer = True
            self.consumers += 1
        frame = self.latest
        if frame is None or frame.meta.index <= after:
            waiter: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                frame = await asyncio.wait_for(waiter, timeout)
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.mark_taken()
        return frame

    def stats(self) -> SinkStats:
        """Counters, fps and latency percentiles over the last `window` seconds."""
        now = time.time()
        times = [t for t in self._times if t >= now - self._window]
        span = times[-1] - times[0] if times else 0.0
        # Below half a second the first frames' burst would read as a silly rate.
        fps = (len(times) - 1) / span if span >= 0.5 else 0.0
        lat = [v for t, v in self._latencies if t >= now - self._window]
        latest = self.latest
        return SinkStats(
            received=self.received,
            decoded=self.decoded,
            dropped=self.dropped,
            fps=round(fps, 2),
            width=latest.meta.width if latest else None,
            height=latest.meta.height if latest else None,
            latency_p50_ms=_round(_percentile(lat, 50)),
            latency_p95_ms=_round(_percentile(lat, 95)),
        )

    async def close(self) -> None:
        """Stops draining, fails pending waiters and stops the conversion thread."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


class FrameConsumer:
    """Runs `handler(frame)` in its own thread on the newest frames; frames that arrive while the
    handler is busy are skipped. This is the hook for the frame dump, the calibration and user code."""

    def __init__(
        self,
        sink: FrameSink,
        handler: Callable[[Frame], None],
        name: str,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.sink = sink
        self.handler = handler
        self.name = name
        self.handled = 0
        self.skipped = 0
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"consumer-{name}", daemon=True)

    def start(self) -> None:
        """Starts the consumer thread."""
        self.sink.consumers += 1
        self._thread.start()

    def _run(self) -> None:
        last = 0

        def ready() -> bool:
            latest = self.sink.latest
            return self._stop.is_set() or (latest is not None and latest.meta.index > last)

        while not self._stop.is_set():
            with self.sink.cond:
                self.sink.cond.wait_for(ready, timeout=0.5)
                frame = self.sink.latest
            if self._stop.is_set() or frame is None or frame.meta.index <= last:
                continue
            self.sink.mark_taken()
            self.skipped += frame.meta.index - last - 1 if last else 0
            last = frame.meta.index
            try:
                self.handler(frame)
                self.handled += 1
            except Exception as exc:  # a consumer bug must not kill the thread or the agent
                log.exception("consumer %s failed", self.name)
                if self._on_error is not None:
                    self._on_error(self.name, exc)

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the thread, waiting up to `timeout` s for the handler in progress."""
        self._stop.set()
        with self.sink.cond:
            self.sink.cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sink.consumers -= 1
