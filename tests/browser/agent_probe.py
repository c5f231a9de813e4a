"""The desktop agent as the browser tests and the benchmark run it: the agent's own command line and
Agent, plus a record of every decoded frame. Writes one JSON object per line to --probe-out: the
agent's events (`{"event": ...}` as `--events` writes them) and `{"event": "frame", ...}` per frame.

    python -m tests.browser.agent_probe --probe-out FILE [agent options...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TextIO

from desktop_receiver.agent import Agent
from desktop_receiver.cli import build_parser, config_from_args
from desktop_receiver.media.frames import Frame


async def run(args: argparse.Namespace, out: TextIO) -> int:
    """Runs the agent until SIGTERM, writing to `out`; returns the exit code."""
    agent = Agent(config_from_args(args))
    agent.subscribe(lambda event: out.write(event.to_json() + "\n"))

    def frame_line(frame: Frame) -> None:
        m = frame.meta
        line = {"event": "frame", "t": m.wall_time, "index": m.index, "w": m.width, "h": m.height}
        out.write(json.dumps({**line, "attempt": m.attempt}) + "\n")

    agent.watch_frames(frame_line)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: loop.create_task(agent.stop(reason="probe stopped")))
    await agent.start()
    await agent.wait_stopped()
    return 1 if agent.fatal else 0


def main(argv: list[str]) -> int:
    """Parses the agent's options and --probe-out, and runs."""
    parser = build_parser()
    parser.add_argument("--probe-out", required=True, help="JSON lines: events and one line per frame")
    args = parser.parse_args(argv)
    with open(args.probe_out, "a", encoding="utf-8", buffering=1) as out:
        return asyncio.run(run(args, out))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
