#!/usr/bin/env python3
"""A simulated phone: joins a pairing session and streams a synthetic, time-stamped camera over WebRTC.

    python scripts/simulate_phone.py --server ws://127.0.0.1:8787/ws --code ABCDEF --ice-host 127.0.0.1

The logic lives in desktop_receiver.simphone (importable by tests and benchmarks); this is its CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

# Run from a checkout without installing: the repository root holds the packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_receiver.simphone import PhoneOptions, SimulatedPhone, SourceOptions  # noqa: E402
from desktop_receiver.simphone.transport import PhoneSignalingError  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    """The simulated phone's options."""
    p = argparse.ArgumentParser(
        description="Simulated phone: joins a dartcam pairing session and streams a synthetic camera."
    )
    p.add_argument("--server", required=True, help="signaling server, ws://host:port/ws or http://host:port")
    p.add_argument("--code", required=True, help="the pairing code the desktop shows")
    p.add_argument("--transport", choices=["ws", "rest"], default="ws", help="WebSocket, or REST only")
    p.add_argument(
        "--answer-only",
        action="store_true",
        help="never offer: wait for the desktop's offer and answer it, like the deployed phone page",
    )
    p.add_argument(
        "--source",
        default="pattern",
        help="'pattern' (moving test pattern), an image file or a video file (looped)",
    )
    p.add_argument("--size", default="640x480", help="frame size WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default %(default)s)")
    p.add_argument("--no-stamp", action="store_true", help="do not draw the send-time stamp")
    p.add_argument("--codec", choices=["vp8", "h264"], help="offer only this codec")
    p.add_argument(
        "--ice-host",
        action="append",
        default=[],
        metavar="ADDR",
        help="use only this address for host candidates (repeatable; tests pin 127.0.0.1)",
    )
    p.add_argument("--no-trickle", action="store_true", help="send candidates inside the SDP")
    p.add_argument("--candidates-first", action="store_true", help="trickle candidates before the offer")
    p.add_argument(
        "--no-announce", action="store_true", help="join with payload: null, as the deployed phone page does"
    )
    p.add_argument("--duration", type=float, help="leave after S seconds (default: until interrupted)")
    p.add_argument("--log-level", default="WARNING")
    return p


async def run(args: argparse.Namespace) -> int:
    """Joins, streams until the duration ends or a signal arrives, then leaves."""
    width, height = (int(v) for v in args.size.lower().split("x"))
    options = PhoneOptions(
        transport=args.transport,
        answer_only=args.answer_only,
        announce=not args.no_announce,
        ice_hosts=tuple(args.ice_host),
        codec=args.codec,
        trickle=not args.no_trickle,
        candidates_first=args.candidates_first,
        source=SourceOptions(args.source, width, height, args.fps, stamp=not args.no_stamp),
    )
    phone = SimulatedPhone(args.server, args.code, options)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    try:
        await phone.start()
    except (PhoneSignalingError, OSError) as exc:
        print(f"simulate_phone: {exc}", file=sys.stderr)
        await phone.leave()
        return 1
    print(f"joined {args.code} via {args.transport}", file=sys.stderr)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), args.duration)
    print(f"leaving after {phone.frames_sent} frames", file=sys.stderr)
    await phone.leave()
    return 0


def main() -> int:
    """Entry point."""
    args = build_parser().parse_args()
    logging.basicConfig(level=args.log_level.upper())
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
