"""A consumer ten times slower than the stream: memory stays flat and the newest frame stays fresh."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import psutil

from desktop_receiver.media.frames import Frame
from desktop_receiver.simphone import SourceOptions
from tests.receiver.conftest import agent_config, frames_from

FPS = 30
CONSUMER_PERIOD = 10 / FPS  # ten times slower than the stream
SECONDS = 5.0
THREAD_SECONDS = 2.0


async def test_slow_coroutine_consumer(server, make_agent, make_phone):
    agent, _ = await make_agent(agent_config(server.ws_url))
    await make_phone(server.ws_url, agent.code, source=SourceOptions(width=640, height=480, fps=FPS))
    await frames_from(agent, 10)  # warm up: codecs, buffers
    gc.collect()
    process = psutil.Process()
    rss_start = process.memory_info().rss
    decoded_start = agent.sink.decoded
    ages, gaps = [], []
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        frame = await agent.next_frame(timeout=10)
        # Fresh: the frame handed out is the newest one, and it was sent moments ago.
        gaps.append(agent.sink.decoded - frame.meta.index)
        if frame.meta.latency_ms is not None:
            ages.append(frame.meta.latency_ms)
        await asyncio.sleep(CONSUMER_PERIOD)  # the slow work
    rss_growth = (process.memory_info().rss - rss_start) / 1e6
    received = agent.sink.decoded - decoded_start
    # Loose bounds (a shared machine): the receive loop kept going at the stream's pace...
    assert received > 0.4 * FPS * SECONDS
    assert len(gaps) <= SECONDS / CONSUMER_PERIOD + 2 and received > 2 * len(gaps)  # ...the consumer did not
    assert max(gaps) <= 1  # ...yet always got the newest frame
    assert ages and sorted(ages)[len(ages) // 2] < 500
    assert agent.sink.dropped >= received / 2  # the frames it had no time for were dropped, not queued
    assert rss_growth < 40, f"RSS grew by {rss_growth:.1f} MB"


async def test_slow_thread_consumer(server, make_agent, make_phone):
    agent, _ = await make_agent(agent_config(server.ws_url))
    await make_phone(server.ws_url, agent.code, source=SourceOptions(width=640, height=480, fps=FPS))
    await frames_from(agent, 5)
    seen: list[tuple[int, int]] = []
    blocking = threading.Event()

    def slow(frame: Frame) -> None:
        seen.append((frame.meta.index, agent.sink.decoded))
        blocking.wait(CONSUMER_PERIOD)  # blocks its own thread, never the event loop

    consumer = agent.add_consumer(slow, "slow")
    start = agent.sink.decoded
    await asyncio.sleep(THREAD_SECONDS)
    received = agent.sink.decoded - start
    assert received > 0.4 * FPS * THREAD_SECONDS  # the event loop was not slowed by the blocking consumer
    assert 3 <= consumer.handled <= THREAD_SECONDS / CONSUMER_PERIOD + 2 and received > 2 * consumer.handled
    assert consumer.skipped > 0
    assert all(latest - index <= 1 for index, latest in seen)
