#!/usr/bin/env python3
"""A simulated phone: joins a pairing session and streams a synthetic, time-stamped camera over WebRTC.

    python scripts/simulate_phone.py --server ws://127.0.0.1:8787/ws --code ABCDEF --ice-host 127.0.0.1
    python scripts/simulate_phone.py --url 'https://127.0.0.1:8787/mobile-cam.html?code=ABCDEF' \
        --cafile ~/.config/dartcam/tls-cert.pem --ice-host 127.0.0.1

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

import aiohttp  # noqa: E402

from desktop_receiver.simphone import PhoneOptions, SimulatedPhone, SourceOptions  # noqa: E402
from desktop_receiver.simphone.transport import PhoneSignalingError  # noqa: E402
from desktop_receiver.simphone.trust import Trust, trust  # noqa: E402
from desktop_receiver.urls import phone_page_target  # noqa: E402
from signaling import tls  # noqa: E402

INSECURE_WARNING = (
    "simulate_phone: WARNING: --insecure: the server's certificate is NOT checked; anyone on the "
    "network path can read and change this session. Use --cafile PEM instead."
)


def build_parser() -> argparse.ArgumentParser:
    """The simulated phone's options."""
    p = argparse.ArgumentParser(
        description="Simulated phone: joins a dartcam pairing session and streams a synthetic camera."
    )
    p.add_argument(
        "--server", help="signaling server: ws(s)://host:port/ws or http(s)://host:port (or give --url)"
    )
    p.add_argument("--code", help="the pairing code the desktop shows (or give --url)")
    p.add_argument(
        "--url",
        help="the phone URL the desktop prints, https://host:port/mobile-cam.html?code=ABCDEF "
        "(gives --server and --code)",
    )
    p.add_argument(
        "--cafile",
        metavar="PEM",
        help="on https/wss, trust the certificate(s) in this file, e.g. the agent's self-signed "
        f"{tls.config_dir() / tls.CERT_NAME} (default: the system's authorities)",
    )
    p.add_argument(
        "--insecure", action="store_true", help="on https/wss, do not check the certificate at all (unsafe)"
    )
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


def target(p: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, str]:
    """The server and the code: from --url, or --server and --code (exits 2 with the reason)."""
    if args.url:
        if args.server or args.code:
            p.error("--url gives the server and the code: leave out --server and --code")
        try:
            return phone_page_target(args.url)
        except ValueError as exc:
            p.error(f"--url: {exc}")
    if not (args.server and args.code):
        p.error("give --server and --code, or --url")
    return args.server, args.code


def tls_trust(p: argparse.ArgumentParser, args: argparse.Namespace) -> Trust:
    """What the phone trusts on https/wss (exits 2 for a bad --cafile)."""
    if args.insecure and args.cafile:
        p.error("--cafile and --insecure exclude each other")
    try:
        return trust(args.cafile, args.insecure)
    except ValueError as exc:
        p.error(f"--cafile: {exc}")


def explain(exc: Exception, server: str) -> str:
    """The reason the phone could not join, and what to do about it."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        why = getattr(exc.certificate_error, "verify_message", None) or exc.certificate_error
        return (
            f"the server's certificate is not trusted ({why}): give --cafile PEM with the certificate it "
            f"serves (the agent's self-signed one is {tls.config_dir() / tls.CERT_NAME}), "
            "or --insecure to skip the check"
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return (
            f"TLS failed on {server} ({exc.os_error}): if the server serves plain HTTP, use http:// or ws://"
        )
    plain = not server.startswith(("https:", "wss:"))
    if plain and isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.WSServerHandshakeError):
        return (
            f"{server} closed the connection ({exc}): if it serves HTTPS (the agent's default), "
            "use https:// or wss://"
        )
    return str(exc) or type(exc).__name__


async def run(args: argparse.Namespace, server: str, code: str, ssl: Trust) -> int:
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
        ssl=ssl,
    )
    phone = SimulatedPhone(server, code, options)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    try:
        await phone.start()
    except (PhoneSignalingError, aiohttp.ClientError, OSError) as exc:
        print(f"simulate_phone: {explain(exc, server)}", file=sys.stderr)
        await phone.leave()
        return 1
    print(f"joined {code} via {args.transport}", file=sys.stderr)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), args.duration)
    print(f"leaving after {phone.frames_sent} frames", file=sys.stderr)
    await phone.leave()
    return 0


def main() -> int:
    """Entry point."""
    parser = build_parser()
    args = parser.parse_args()
    server, code = target(parser, args)
    ssl = tls_trust(parser, args)
    if args.insecure:
        print(INSECURE_WARNING, file=sys.stderr)
    logging.basicConfig(level=args.log_level.upper())
    return asyncio.run(run(args, server, code, ssl))


if __name__ == "__main__":
    sys.exit(main())
