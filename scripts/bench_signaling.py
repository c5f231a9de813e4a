#!/usr/bin/env python3
"""Benchmark of the signaling server on loopback: N concurrent pairs each relay a realistic handshake
(offer ~6 KB, answer ~4 KB, 10 ICE candidates each way) and then a stream of cam-data messages.
Prints relayed messages/s, p50/p99 relay latency, server CPU-seconds per 1,000 relayed messages and
server RSS over time, for the WebSocket path and for the REST path. With --redis URL --instances N, N
server processes share one Redis and each pair's phone uses another instance than its desktop.

Everything stays on 127.0.0.1; every loop is bounded in count and time."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlparse

import aiohttp
import orjson  # the generator shares the machine with the server: keep its own cost low
import psutil

from signaling.gc_tuning import tune_gc

OFFER_SDP = "v=0\r\n" + "a=x-bench:" + "o" * 6000 + "\r\n"
ANSWER_SDP = "v=0\r\n" + "a=x-bench:" + "a" * 4000 + "\r\n"
HANDSHAKE_RELAYS = 22
CANDIDATE = "candidate:{i} 1 udp 2122260223 127.0.0.1 {port} typ host generation 0 ufrag abcd"


@dataclass
class Tally:
    """Latencies (s) and counts of one run."""

    latencies: list[float] = field(default_factory=list)
    received: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def note(self, sent_at: float) -> None:
        self.received += 1
        self.latencies.append(time.monotonic() - sent_at)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, redis_url: str | None) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "signaling",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "WARNING",
    ]
    # The benchmark measures throughput, so the per-socket limits are lifted; the 500 pairs stay bounded.
    cmd += ["--rate-per-second", "100000", "--rate-burst", "100000", "--unknown-code-per-minute", "100000"]
    if redis_url:
        cmd += ["--redis", redis_url]
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 30) -> dict:
    msg = await ws.receive(timeout=timeout)
    if msg.type is not aiohttp.WSMsgType.TEXT:
        raise ConnectionError(f"socket ended: {msg.type}")
    return json.loads(msg.data)


async def send_description(
    sender: aiohttp.ClientWebSocketResponse, receiver: aiohttp.ClientWebSocketResponse, code: str, kind: str
) -> None:
    """One side's SDP and 10 candidates, relayed and read by the other side."""
    sdp = OFFER_SDP if kind == "offer" else ANSWER_SDP
    await sender.send_str(
        json.dumps({"type": f"cam-{kind}", "code": code, "payload": {"type": kind, "sdp": sdp}})
    )
    base_port = 40000 if kind == "offer" else 41000
    for i in range(10):
        cand = {"candidate": CANDIDATE.format(i=i, port=base_port + i), "sdpMid": "0", "sdpMLineIndex": 0}
        await sender.send_str(json.dumps({"type": "cam-ice", "code": code, "payload": cand}))
    for _ in range(11):
        await recv_json(receiver)


async def handshake(desktop: aiohttp.ClientWebSocketResponse, phone: aiohttp.ClientWebSocketResponse) -> str:
    await desktop.send_str('{"type":"cam-create"}')
    code = (await recv_json(desktop))["code"]
    await phone.send_str(json.dumps({"type": "cam-join", "code": code, "payload": None}))
    for ws, expected in ((phone, "cam-joined"), (desktop, "cam-peer-joined")):
        got = await recv_json(ws)
        if got.get("type") != expected:
            raise SystemExit(f"handshake failed: expected {expected}, got {got}")
    await send_description(phone, desktop, code, "offer")
    await send_description(desktop, phone, code, "answer")
    return code


async def reader(ws: aiohttp.ClientWebSocketResponse, tally: Tally, stop: float) -> None:
    while time.monotonic() < stop:
        try:
            msg = await ws.receive(timeout=max(0.1, stop - time.monotonic()))
        except TimeoutError:
            return
        if msg.type is not aiohttp.WSMsgType.TEXT:
            return
        data = orjson.loads(msg.data)
        if data.get("type") == "cam-data":
            tally.note(data["payload"]["t"])
        elif data.get("type") == "cam-error":
            tally.errors[data.get("code", "?")] += 1


async def writer(ws: aiohttp.ClientWebSocketResponse, code: str, rate: float, stop: float) -> int:
    # A random phase per socket: phones do not all send at the same instant, and a generator whose
    # sockets do would measure its own bursts rather than the relay.
    sent, interval = 0, 1.0 / rate
    next_at = time.monotonic() + random.uniform(0, interval)
    while (now := time.monotonic()) < stop:
        if now < next_at:
            await asyncio.sleep(next_at - now)
        next_at += interval
        payload = {"t": time.monotonic(), "score": [20, 3, "T20"], "n": sent}
        await ws.send_str(orjson.dumps({"type": "cam-data", "code": code, "payload": payload}).decode())
        sent += 1
    return sent


def per_thousand(cpu: float, messages: int) -> float:
    """CPU-seconds per 1,000 messages."""
    return cpu * 1000 / max(messages, 1)


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def rss_mb(procs: list[subprocess.Popen]) -> float:
    return sum(psutil.Process(p.pid).memory_info().rss for p in procs) / 1e6


async def bench_ws(
    urls: list[str], procs: list[subprocess.Popen], pairs: int, seconds: float, rate: float
) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        t0 = time.monotonic()
        cpu_before_pairing = cpu_seconds([p.pid for p in procs])
        sockets = []
        for i in range(pairs):
            desktop = await http.ws_connect(urls[i % len(urls)], heartbeat=None)
            phone = await http.ws_connect(urls[(i + 1) % len(urls)], heartbeat=None)
            sockets.append((desktop, phone))
        # Phones do not all pair in the same millisecond: at most 50 handshakes at once.
        gate = asyncio.Semaphore(50)

        async def paced(
            desktop: aiohttp.ClientWebSocketResponse, phone: aiohttp.ClientWebSocketResponse
        ) -> str:
            async with gate:
                return await handshake(desktop, phone)

        codes = await asyncio.gather(*(paced(d, p) for d, p in sockets))
        # The generator's own full collections stalled every socket at once and were measured as
        # relay latency; it gets the server's settings.
        tune_gc()
        setup = time.monotonic() - t0
        print(
            f"[ws] {pairs} pairs connected and handshaken in {setup:.2f} s "
            f"({pairs * 24 / setup:.0f} handshake messages/s)"
        )
        rss_start = rss_mb(procs)
        tally = Tally()
        stop = time.monotonic() + seconds
        samples: list[tuple[float, float]] = []

        async def sample_rss() -> None:
            while time.monotonic() < stop:
                await asyncio.sleep(min(5.0, max(0.1, stop - time.monotonic())))
                samples.append((seconds - (stop - time.monotonic()), rss_mb(procs)))

        tasks = [asyncio.create_task(sample_rss())]
        for (desktop, phone), code in zip(sockets, codes, strict=True):
            for ws in (desktop, phone):
                tasks.append(asyncio.create_task(reader(ws, tally, stop + 2)))
                tasks.append(asyncio.create_task(writer(ws, code, rate, stop)))
        started = time.monotonic()
        cpu0 = (cpu_seconds([p.pid for p in procs]), cpu_seconds([os.getpid()]))
        results = await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started - 2
        cpu1 = (cpu_seconds([p.pid for p in procs]), cpu_seconds([os.getpid()]))
        sent = sum(r for r in results if isinstance(r, int))
        report("ws", tally, sent, elapsed, rss_start, rss_mb(procs), samples)
        wall = elapsed + 2
        print(
            f"[ws] CPU: server {(cpu1[0] - cpu0[0]) / wall:.0%} of a core, "
            f"load generator {(cpu1[1] - cpu0[1]) / wall:.0%}"
        )
        # The handshake relays 22 messages per pair (an offer, an answer, 10 candidates each way).
        with_pairing = tally.received + pairs * HANDSHAKE_RELAYS
        print(
            f"[ws] server CPU per 1,000 relayed messages: "
            f"{per_thousand(cpu1[0] - cpu0[0], tally.received):.4f} s (stream), "
            f"{per_thousand(cpu1[0] - cpu_before_pairing, with_pairing):.4f} s (pairing included)"
        )
        for desktop, phone in sockets:
            await desktop.close()
            await phone.close()


async def bench_rest(
    urls: list[str], procs: list[subprocess.Popen], pairs: int, seconds: float, rate: float
) -> None:
    """Phones on REST only: POST cam-data to the desktop's socket, long-poll what the desktop sends."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sessions = []
        for i in range(pairs):
            desktop = await http.ws_connect(urls[i % len(urls)], heartbeat=None)
            await desktop.send_str('{"type":"cam-create"}')
            code = (await recv_json(desktop))["code"]
            base = urls[(i + 1) % len(urls)].replace("ws://", "http://").removesuffix("/ws")
            async with http.post(
                f"{base}/cam/signal/{code}", json={"type": "cam-join", "payload": None}
            ) as r:
                assert r.status == 200, await r.text()
                token = (await r.json())["resumeToken"]  # our page sends it with every request
            await recv_json(desktop)
            sessions.append((desktop, base, code, token))
        rss_start = rss_mb(procs)
        tally = Tally()
        stop = time.monotonic() + seconds

        async def rest_writer(base: str, code: str, token: str) -> int:
            sent, next_at = 0, time.monotonic() + random.uniform(0, 1.0 / rate)
            while (now := time.monotonic()) < stop:
                if now < next_at:
                    await asyncio.sleep(next_at - now)
                next_at += 1.0 / rate
                body = {
                    "type": "cam-data",
                    "payload": {"t": time.monotonic()},
                    "source": "phone",
                    "resumeToken": token,
                }
                async with http.post(f"{base}/cam/signal/{code}", json=body) as r:
                    if r.status != 200:
                        tally.errors[f"HTTP {r.status}"] += 1
                sent += 1
            return sent

        async def rest_poller(base: str, code: str, token: str) -> None:
            auth = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < stop + 1:
                async with http.get(f"{base}/cam/signal/{code}?source=phone&wait=1", headers=auth) as r:
                    body = await r.json()
                for m in body.get("messages", []):
                    if m.get("type") == "cam-data":
                        tally.note(m["payload"]["t"])

        tasks = []
        for desktop, base, code, token in sessions:
            tasks.append(asyncio.create_task(reader(desktop, tally, stop + 2)))
            tasks.append(asyncio.create_task(rest_writer(base, code, token)))
            tasks.append(asyncio.create_task(writer(desktop, code, rate, stop)))
            tasks.append(asyncio.create_task(rest_poller(base, code, token)))
        started = time.monotonic()
        cpu0 = cpu_seconds([p.pid for p in procs])
        results = await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started - 2
        cpu1 = cpu_seconds([p.pid for p in procs])
        sent = sum(r for r in results if isinstance(r, int))
        report("rest", tally, sent, elapsed, rss_start, rss_mb(procs), [])
        cpu_per_thousand = per_thousand(cpu1 - cpu0, tally.received)
        print(f"[rest] server CPU per 1,000 relayed messages: {cpu_per_thousand:.4f} s")
        for desktop, *_ in sessions:
            await desktop.close()


def report(label: str, tally: Tally, sent: int, elapsed: float, rss0: float, rss1: float, samples) -> None:
    lat = sorted(tally.latencies)
    p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    print(
        f"[{label}] sent {sent}, relayed {tally.received} ({tally.received / max(sent, 1):.2%}), "
        f"errors {sum(tally.errors.values())}" + (f" {dict(tally.errors)}" if tally.errors else "")
    )
    print(f"[{label}] relayed messages/s: {tally.received / elapsed:.0f}")
    print(
        f"[{label}] relay latency p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, p99.9 {p(0.999):.1f} ms, "
        f"max {p(1.0):.1f} ms, mean {statistics.fmean(lat) * 1000 if lat else float('nan'):.1f} ms"
    )
    print(f"[{label}] server RSS {rss0:.1f} MB at start of the stream, {rss1:.1f} MB at the end")
    if samples:
        print(f"[{label}] server RSS over time: " + ", ".join(f"{t:.0f}s={m:.1f}MB" for t, m in samples))


def start_redis() -> tuple[subprocess.Popen, str]:
    """A throw-away redis-server on a free loopback port (for --redis auto)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


async def main_async(args: argparse.Namespace) -> None:
    # Every process is listed as soon as it runs, so that a later failure still stops it.
    started: list[subprocess.Popen] = []
    try:
        if args.redis == "auto":
            redis_proc, args.redis = start_redis()
            started.append(redis_proc)
        ports = [free_port() for _ in range(args.instances)]
        procs = []
        for port in ports:
            procs.append(start_server(port, args.redis))
            started.append(procs[-1])
        urls = [f"ws://127.0.0.1:{port}/ws" for port in ports]
        print(
            f"servers: {args.instances} instance(s) "
            f"{'on ' + args.redis if args.redis else '(in-process store)'};"
            f" {args.pairs} pairs, {args.rate:g} cam-data/s per socket, {args.seconds:g} s"
        )
        await bench_ws(urls, procs, args.pairs, args.seconds, args.rate)
        if args.rest_pairs:
            await bench_rest(urls, procs, args.rest_pairs, min(args.seconds, 15), args.rest_rate)
    finally:
        for proc in reversed(started):  # servers first, then their Redis
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # still draining a backlog: the figures are taken
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=500, help="concurrent pairs on the WebSocket path")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the cam-data stream")
    parser.add_argument("--rate", type=float, default=20.0, help="cam-data messages/s sent by each socket")
    parser.add_argument("--rest-pairs", type=int, default=50, help="pairs whose phone uses REST (0: skip)")
    parser.add_argument("--rest-rate", type=float, default=5.0, help="cam-data messages/s per REST phone")
    parser.add_argument(
        "--redis",
        default=None,
        help="redis://127.0.0.1:PORT: run the instances on Redis ('auto': start a redis-server)",
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="server processes (more than 1 needs --redis)"
    )
    args = parser.parse_args()
    if args.instances > 1 and not args.redis:
        parser.error("--instances > 1 needs --redis")
    if args.redis not in (None, "auto") and urlparse(args.redis).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--redis must be on 127.0.0.1 (the benchmark stays on loopback) or 'auto'")
    if not (0 < args.pairs <= 5000 and 0 < args.seconds <= 600):
        parser.error("--pairs must be 1..5000 and --seconds 1..600")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
