"""The frame sink alone, fed by a real track of stamped frames (no network): conversion to BGR arrays
with their metadata, waiting for a newer frame, watchers, drops, stats, consumer threads, close."""

from __future__ import annotations

import asyncio
import queue
import threading

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from desktop_receiver.media import stamp
from desktop_receiver.media.frames import Frame, FrameConsumer, FrameSink

WIDTH, HEIGHT = 320, 240


class _Track(MediaStreamTrack):
    """Hands out stamped I420 frames from a queue the test fills; ends (MediaStreamError) on None.
    `_queue` is the attribute the sink reads to tell that newer frames already wait, as aiortc's."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._queue: asyncio.Queue[av.VideoFrame | None] = asyncio.Queue()

    def push(self, seq: int) -> None:
        image = np.full((HEIGHT * 3 // 2, WIDTH), 128, np.uint8)
        stamp.draw_i420(image, WIDTH, HEIGHT, stamp.now_us(), seq)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = seq * 3000
        self._queue.put_nowait(frame)

    def end(self) -> None:
        self._queue.put_nowait(None)

    async def recv(self) -> av.VideoFrame:
        frame = await self._queue.get()
        if frame is None:
            raise MediaStreamError
        return frame


@pytest.fixture
async def sink():
    s = FrameSink(window=5.0)
    yield s
    await s.close()


async def test_frames_become_bgr_arrays_with_their_metadata(sink):
    firsts: list[Frame] = []
    sink = FrameSink(on_first_frame=firsts.append)
    track = _Track()
    sink.attach(track, attempt=3)
    track.push(7)
    frame = await sink.next_frame(timeout=10)
    assert frame.image.shape == (HEIGHT, WIDTH, 3) and frame.image.dtype == np.uint8
    meta = frame.meta
    assert (meta.index, meta.width, meta.height, meta.attempt, meta.pts, meta.seq) == (
        1,
        WIDTH,
        HEIGHT,
        3,
        21000,
        7,
    )
    assert meta.latency_ms is not None and 0 <= meta.latency_ms < 5000
    track.push(8)
    second = await sink.next_frame(after=1, timeout=10)
    assert second.meta.index == 2 and second.meta.seq == 8
    assert [f.meta.index for f in firsts] == [1]  # the first frame only
    assert (sink.received, sink.decoded, sink.dropped) == (2, 2, 0)
    await sink.close()


async def test_next_frame_waits_for_a_newer_one_and_times_out(sink):
    track = _Track()
    sink.attach(track, attempt=1)
    track.push(1)
    first = await sink.next_frame(timeout=10)
    with pytest.raises(TimeoutError):
        await sink.next_frame(after=first.meta.index, timeout=0.2)
    assert (await sink.next_frame(after=0, timeout=1)).meta.index == 1  # the newest, already there


async def test_watchers_see_every_frame_until_they_stop(sink):
    seen: list[int] = []
    stop = sink.watch(lambda frame: seen.append(frame.meta.index))
    track = _Track()
    sink.attach(track, attempt=1)
    for seq in range(3):
        track.push(seq)
        await sink.next_frame(after=seq, timeout=10)
    stop()
    track.push(3)
    await sink.next_frame(after=3, timeout=10)
    assert seen == [1, 2, 3]


async def test_frames_already_superseded_are_dropped_unconverted(sink):
    track = _Track()
    for seq in range(5):
        track.push(seq)  # all waiting at once: only the newest is worth converting
    sink.attach(track, attempt=1)
    frame = await sink.next_frame(timeout=10)
    assert frame.meta.seq == 4 and frame.meta.index == 1
    assert (sink.received, sink.decoded, sink.dropped) == (5, 1, 4)


async def test_stats_count_and_measure(sink):
    track = _Track()
    sink.attach(track, attempt=1)
    for seq in range(6):
        track.push(seq)
        await sink.next_frame(after=seq, timeout=10)
        await asyncio.sleep(0.12)
    stats = sink.stats()
    assert (stats.received, stats.decoded, stats.width, stats.height) == (6, 6, WIDTH, HEIGHT)
    assert 3 < stats.fps < 12
    assert stats.latency_p50_ms is not None and stats.latency_p95_ms >= stats.latency_p50_ms


async def test_a_consumer_thread_gets_frames_and_its_failures_are_reported(sink):
    handled: list[tuple[int, str]] = []
    errors: list[str] = []
    done: queue.Queue[int] = queue.Queue()

    def handler(frame: Frame) -> None:
        handled.append((frame.meta.index, threading.current_thread().name))
        done.put(frame.meta.index)
        if frame.meta.index == 2:
            raise RuntimeError("consumer bug")

    consumer = FrameConsumer(
        sink, handler, "test", on_error=lambda name, exc: errors.append(f"{name}: {exc}")
    )
    consumer.start()
    track = _Track()
    sink.attach(track, attempt=1)
    try:
        for seq in range(3):
            track.push(seq)
            await sink.next_frame(after=seq, timeout=10)
            await asyncio.to_thread(done.get, timeout=10)
    finally:
        await asyncio.to_thread(consumer.stop)
    assert [index for index, _ in handled] == [1, 2, 3]
    assert all(name == "consumer-test" for _, name in handled)  # never on the event loop's thread
    assert errors == ["test: consumer bug"] and consumer.handled == 2
    assert sink.consumers == 1  # the coroutine consumer (next_frame) is left


async def test_close_ends_the_drain_and_fails_waiters(sink):
    track = _Track()
    sink.attach(track, attempt=1)
    waiting = asyncio.ensure_future(sink.next_frame())
    await asyncio.sleep(0.05)
    await sink.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    track.end()
