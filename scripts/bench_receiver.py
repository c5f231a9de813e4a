#!/usr/bin/env python3
"""Benchmark of the desktop agent on loopback, against a simulated phone in its own process.

For each size (640x480, 1280x720, 1920x1080 by default) and codec at 30 fps: time from `peer-joined` to
the first numpy frame, received fps, p50/p95 latency from the phone's pixel stamp to the numpy array,
and the agent's CPU and RSS. First of all (while the process is fresh), 60 s with a consumer ten times
slower than the stream, after a 20 s warm-up: RSS growth and its curve.
The agent (with its embedded signaling server) runs in this process, so psutil measures it alone.

    .venv/bin/python scripts/bench_receiver.py [--seconds 10] [--slow-seconds 60] [--json out.json]

Goals: first frame <= 500 ms after the join; 1280x720 at 30 fps with p50 latency <= 60 ms;
RSS growth <= 20 MB over 60 s with a slow consumer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from desktop_receiver.agent import Agent  # noqa: E402
from desktop_receiver.config import AgentConfig  # noqa: E402
from desktop_receiver.events import Event, FirstFrame  # noqa: E402
from desktop_receiver.media.frames import Frame  # noqa: E402
from desktop_receiver.webrtc.peer import PeerOptions  # noqa: E402

LOOPBACK = ("127.0.0.1",)
FPS = 30


@dataclass
class RunResult:
    """The figures of one size and codec."""

    size: str
    codec: str
    first_frame_ms: float | None  # in the measured run
    first_frame_ms_joins: list[float]  # in `--joins` further short sessions (each a fresh agent)
    fps: float
    phone_fps: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cpu_percent: float
    rss_mb: float
    received: int  # frames out of aiortc's track
    decoded: int  # of those, converted to numpy (the rest were superseded before conversion)


@dataclass
class SlowResult:
    """RSS over a long run with a consumer ten times slower than the stream."""

    size: str
    seconds: float
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float
    growth_mb: float
    consumed: int
    decoded: int
    newest_gap_max: int
    latency_p50_ms: float | None
    rss_every_10s_mb: list[float]  # the curve: a leak climbs steadily, allocator warm-up levels off


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 1)


async def _phone(url: str, code: str, size: str, codec: str, seconds: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "scripts" / "simulate_phone.py"),
        "--server", url, "--code", code, "--size", size, "--fps", str(FPS), "--codec", codec,
        "--ice-host", "127.0.0.1", "--duration", str(seconds),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _phone_frames(proc: asyncio.subprocess.Process, timeout: float) -> int | None:
    """The phone's count of frames sent, from its last line ("leaving after N frames")."""
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    for line in reversed(err.decode().splitlines()):
        if line.startswith("leaving after"):
            return int(line.split()[2])
    return None


async def _start_agent(codec: str) -> tuple[Agent, list[Event]]:
    agent = Agent(
        AgentConfig(
            listen_host="127.0.0.1",
            listen_port=0,
            peer=PeerOptions(ice_hosts=LOOPBACK, prefer_codec=codec),
            stats_interval=60.0,
        )
    )
    events: list[Event] = []
    agent.subscribe(events.append)
    await agent.start()
    return agent, events


async def run_one(size: str, codec: str, seconds: float, warmup: float) -> RunResult:
    """One size and codec: the phone streams for warmup + seconds; figures cover the last `seconds`."""
    agent, events = await _start_agent(codec)
    process = psutil.Process()
    latencies: list[float] = []
    counting = False

    def on_frame(frame: Frame) -> None:
        if counting and frame.meta.latency_ms is not None:
            latencies.append(frame.meta.latency_ms)

    agent.sink.listeners.append(on_frame)
    url = f"ws://127.0.0.1:{agent.server.port}/ws"
    phone = await _phone(url, agent.code, size, codec, warmup + seconds + 1)
    try:
        await asyncio.wait_for(agent.next_frame(), 30)
        await asyncio.sleep(warmup)
        counting = True
        cpu0, wall0, n0 = process.cpu_times(), time.monotonic(), agent.sink.decoded
        await asyncio.sleep(seconds)
        counting = False
        cpu1, wall1, n1 = process.cpu_times(), time.monotonic(), agent.sink.decoded
        rss = process.memory_info().rss / 1e6
        received, decoded = agent.sink.received, agent.sink.decoded
        sent = await _phone_frames(phone, 30)
    finally:
        if phone.returncode is None:
            phone.kill()
            await phone.wait()
        await agent.stop()
    first = next((e for e in events if isinstance(e, FirstFrame)), None)
    busy = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return RunResult(
        size=size,
        codec=codec,
        first_frame_ms=first.ms_since_join if first else None,
        first_frame_ms_joins=[],
        fps=round((n1 - n0) / (wall1 - wall0), 1),
        # Averaged over the phone's whole run, its start included: a lower bound of its steady rate.
        phone_fps=round(sent / (warmup + seconds + 1), 1) if sent else None,
        latency_p50_ms=_percentile(latencies, 50),
        latency_p95_ms=_percentile(latencies, 95),
        cpu_percent=round(100 * busy / (wall1 - wall0), 1),
        rss_mb=round(rss, 1),
        received=received,
        decoded=decoded,
    )


async def first_frame_ms(size: str, codec: str) -> float | None:
    """One short session: milliseconds from `peer-joined` to the first numpy frame."""
    agent, events = await _start_agent(codec)
    phone = await _phone(f"ws://127.0.0.1:{agent.server.port}/ws", agent.code, size, codec, 5)
    try:
        await asyncio.wait_for(agent.next_frame(), 30)
    finally:
        phone.kill()
        await phone.wait()
        await agent.stop()
    first = next((e for e in events if isinstance(e, FirstFrame)), None)
    return first.ms_since_join if first else None


async def run_slow(size: str, codec: str, seconds: float, warmup: float) -> SlowResult:
    """A consumer ten times slower than the stream for `seconds`: RSS must stay flat."""
    agent, _ = await _start_agent(codec)
    process = psutil.Process()
    url = f"ws://127.0.0.1:{agent.server.port}/ws"
    phone = await _phone(url, agent.code, size, codec, warmup + seconds + 10)
    consumed, gaps, lat = 0, [], []
    try:
        await asyncio.wait_for(agent.next_frame(), 30)
        # Warm-up: codec buffers and the allocator's pools fill in the first ~20 s, then RSS levels off.
        await asyncio.sleep(warmup)
        gc.collect()
        rss_start = rss_max = process.memory_info().rss
        curve = [round(rss_start / 1e6, 1)]
        start = time.monotonic()
        end = start + seconds
        while time.monotonic() < end:
            frame = await agent.next_frame(timeout=10)
            consumed += 1
            gaps.append(agent.sink.decoded - frame.meta.index)
            if frame.meta.latency_ms is not None:
                lat.append(frame.meta.latency_ms)
            await asyncio.sleep(10 / FPS)  # ten times slower than the stream
            rss = process.memory_info().rss
            rss_max = max(rss_max, rss)
            if time.monotonic() - start >= 10 * len(curve):
                curve.append(round(rss / 1e6, 1))
        rss_end = process.memory_info().rss
        decoded = agent.sink.decoded
    finally:
        phone.kill()
        await phone.wait()
        await agent.stop()
    return SlowResult(
        size=size,
        seconds=seconds,
        rss_start_mb=round(rss_start / 1e6, 1),
        rss_end_mb=round(rss_end / 1e6, 1),
        rss_max_mb=round(rss_max / 1e6, 1),
        growth_mb=round((rss_end - rss_start) / 1e6, 1),
        consumed=consumed,
        decoded=decoded,
        newest_gap_max=max(gaps) if gaps else -1,
        latency_p50_ms=round(statistics.median(lat), 1) if lat else None,
        rss_every_10s_mb=curve,
    )


async def main_async(args: argparse.Namespace) -> dict:
    results: dict = {"runs": [], "slow": None}
    # First, while the process is fresh: the other runs would leave a fragmented heap behind.
    if args.slow_seconds > 0:
        s = await run_slow(args.slow_size, args.codecs.split(",")[0], args.slow_seconds, args.slow_warmup)
        results["slow"] = asdict(s)
        print(
            f"slow consumer ({s.size}, {s.seconds:g} s, 10x slower): "
            f"RSS {s.rss_start_mb} -> {s.rss_end_mb} MB (growth {s.growth_mb} MB, max {s.rss_max_mb} MB); "
            f"consumed {s.consumed} of {s.decoded} frames, "
            f"newest-frame gap max {s.newest_gap_max}, latency p50 {s.latency_p50_ms} ms; "
            f"RSS every 10 s: {s.rss_every_10s_mb}",
            flush=True,
        )
    for size in filter(None, args.sizes.split(",")):
        for codec in args.codecs.split(","):
            r = await run_one(size, codec, args.seconds, args.warmup)
            for _ in range(args.joins):
                ms = await first_frame_ms(size, codec)
                if ms is not None:
                    r.first_frame_ms_joins.append(ms)
            results["runs"].append(asdict(r))
            joins = sorted(r.first_frame_ms_joins)
            median = statistics.median(joins) if joins else None
            print(
                f"{r.size:>9} {r.codec:>4}: first frame {r.first_frame_ms} ms "
                f"(joins: median {median}, max {max(joins, default=None)}), "
                f"{r.fps} fps received "
                f"(phone sent {r.phone_fps} fps), latency p50 {r.latency_p50_ms} ms / "
                f"p95 {r.latency_p95_ms} ms, CPU {r.cpu_percent} %, RSS {r.rss_mb} MB, "
                f"decoded {r.decoded} of {r.received} received",
                flush=True,
            )
    return results


def main() -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="640x480,1280x720,1920x1080", help="comma-separated; '' skips")
    p.add_argument(
        "--codecs", default="vp8,h264", help="comma-separated; the first one is used for the slow run"
    )
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per size and codec")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds streamed before measuring")
    p.add_argument(
        "--joins",
        type=int,
        default=5,
        help="extra short sessions per size and codec, for the first-frame time",
    )
    p.add_argument("--slow-seconds", type=float, default=60.0, help="slow-consumer run length (0: skip)")
    p.add_argument("--slow-size", default="1280x720")
    p.add_argument("--slow-warmup", type=float, default=20.0, help="seconds streamed before the slow run")
    p.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = p.parse_args()
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    with contextlib.suppress(Exception):
        print(f"cpu count {psutil.cpu_count()}, load {psutil.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
