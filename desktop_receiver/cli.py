"""Command line of the desktop agent (`python -m desktop_receiver`, `dartcam-receiver`), and the
`calibrate` subcommand that hands over to the calibration's own command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import TextIO

from desktop_receiver.agent import Agent, AgentConfig, AgentError
from desktop_receiver.calibration.runner import CalibrationOptions
from desktop_receiver.events import Calibrated, CodeEvent, ErrorEvent, Event, JsonLinesWriter, Stopped
from desktop_receiver.media.dump import DumpOptions
from desktop_receiver.media.frames import Frame
from desktop_receiver.pairing.client import ClientOptions
from desktop_receiver.qr import terminal_qr, write_qr_png
from desktop_receiver.webrtc.ice import IceServerOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions, OfferMode
from desktop_receiver.webrtc.peer import PeerOptions
from signaling.config import ServerConfig

EPILOG = """\
subcommands:
  calibrate ...   board calibration on images or frame dumps (`calibrate --help` lists its options)

The agent prints the pairing code and the phone's URL (with a QR code), answers the phone's WebRTC offer
(or offers itself to a phone that only answers), and turns every received frame into a BGR numpy array.
Without --server it runs the signaling server inside the agent's process on --listen-host:--listen-port.
Exit codes: 0 after --max-frames/--duration or an interrupt; 1 on an unrecoverable error; 2 on bad options.
"""


def _default(options: type, name: str) -> object:
    """The default of field `name` of the dataclass `options`: the options classes hold the defaults."""
    return options.__dataclass_fields__[name].default


def build_parser() -> argparse.ArgumentParser:
    """The agent's argument parser."""
    p = argparse.ArgumentParser(
        prog="dartcam-receiver",
        description="dartcam desktop agent: receives a phone camera over WebRTC and hands frames to OpenCV.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("signaling")
    g.add_argument(
        "--server",
        metavar="URL",
        help="signaling server ws://host:port/ws or wss://...; default: start one embedded in this process",
    )
    g.add_argument(
        "--listen-host",
        default=_default(ServerConfig, "host"),
        help="embedded server: address to bind (default %(default)s, reachable by phones on the LAN)",
    )
    g.add_argument(
        "--listen-port",
        type=int,
        default=_default(ServerConfig, "port"),
        help="embedded server: port (default %(default)s; 0 picks a free one)",
    )
    g.add_argument(
        "--public-url",
        metavar="URL",
        help="embedded server: base URL phones use to reach it "
        "(for the phone URL and the QR code), e.g. https://desk.local:8787",
    )
    g.add_argument(
        "--tls",
        action="store_true",
        help="embedded server: serve HTTPS and WSS (phones give the camera only to secure pages); "
        "the phone URL becomes https://<LAN address>:<port>/... with a self-signed certificate made "
        "at first start in ~/.config/dartcam/ unless --cert/--key are given",
    )
    g.add_argument("--cert", metavar="PEM", help="embedded server: TLS certificate (with --tls)")
    g.add_argument("--key", metavar="PEM", help="embedded server: TLS private key (with --tls)")
    g.add_argument(
        "--resume-timeout",
        type=float,
        default=_default(ClientOptions, "resume_timeout"),
        metavar="S",
        help="after a reconnect, wait "
        "this long for cam-resumed before taking a new code (default %(default)s)",
    )
    g.add_argument(
        "--give-up",
        type=float,
        default=_default(ClientOptions, "give_up_after"),
        metavar="S",
        help="exit with an error if the server cannot be reached at all for S seconds (default %(default)s)",
    )
    w = p.add_argument_group("WebRTC")
    w.add_argument(
        "--offer",
        choices=[m.value for m in OfferMode],
        default=_default(NegotiationOptions, "offer_mode").value,
        help="auto: offer when "
        "a joined phone sent no offer within --offer-grace; never; always: offer at once when a "
        "phone joins (default %(default)s)",
    )
    w.add_argument(
        "--offer-grace",
        type=float,
        default=_default(NegotiationOptions, "offer_grace"),
        metavar="S",
        help="default %(default)s s",
    )
    w.add_argument(
        "--connect-timeout",
        type=float,
        default=_default(PeerOptions, "connect_timeout"),
        metavar="S",
        help="end a connection "
        "attempt that is not up this long after the handshake, then start a new one "
        "(default %(default)s)",
    )
    w.add_argument(
        "--stun", action="append", default=[], metavar="URL", help="STUN server (repeatable); none by default"
    )
    w.add_argument("--turn", action="append", default=[], metavar="URL", help="TURN server (repeatable)")
    w.add_argument("--turn-user", metavar="NAME", help="TURN user name")
    w.add_argument("--turn-password", metavar="SECRET", help="TURN password")
    w.add_argument(
        "--ice-host",
        action="append",
        default=[],
        metavar="ADDR",
        help="use only this address "
        "for host candidates (repeatable; e.g. 127.0.0.1 or one LAN address); default: every "
        "interface but loopback",
    )
    w.add_argument("--prefer-codec", choices=["h264", "vp8"], help="codec to put first in the answer")
    w.add_argument(
        "--start-bitrate",
        type=int,
        default=_default(PeerOptions, "start_bitrate_kbps"),
        metavar="KBPS",
        help="x-google-start-bitrate hint to browsers (default %(default)s)",
    )
    w.add_argument(
        "--min-bitrate",
        type=int,
        default=_default(PeerOptions, "min_bitrate_kbps"),
        metavar="KBPS",
        help="x-google-min-bitrate hint (default %(default)s)",
    )
    w.add_argument(
        "--max-bitrate",
        type=int,
        default=_default(PeerOptions, "max_bitrate_kbps"),
        metavar="KBPS",
        help="x-google-max-bitrate hint (default %(default)s)",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--events",
        metavar="FILE",
        help="write events as JSON lines to FILE ('-': stdout; the "
        "human-readable output then goes to stderr)",
    )
    o.add_argument("--qr", metavar="FILE", type=Path, help="also write the phone URL's QR code as a PNG")
    o.add_argument("--no-qr", action="store_true", help="do not draw the QR code in the terminal")
    o.add_argument(
        "--stats-interval",
        type=float,
        default=_default(AgentConfig, "stats_interval"),
        metavar="S",
        help="seconds between stats events (default %(default)s)",
    )
    o.add_argument(
        "--dump",
        metavar="DIR",
        type=Path,
        help="write received frames to DIR with an index "
        "DIR/frames.jsonl (an earlier dump's files in DIR are replaced)",
    )
    o.add_argument(
        "--dump-format",
        choices=["png", "jpg"],
        default=_default(DumpOptions, "fmt"),
        help="default %(default)s",
    )
    o.add_argument(
        "--dump-every",
        type=int,
        default=_default(DumpOptions, "every"),
        metavar="N",
        help="write at most one frame every N frames (default %(default)s)",
    )
    o.add_argument("--dump-max", type=int, metavar="N", help="keep only the newest N dumped frames")
    c = p.add_argument_group("calibration")
    c.add_argument(
        "--calibrate",
        action="store_true",
        help="find the dartboard in the received frames (in a worker thread), keep the calibration stable "
        "across frames, emit `calibrated` events, send cam-calibration to the phone and store it on the "
        "server; with --dump, an overlay is written beside each dumped frame",
    )
    c.add_argument(
        "--calibrate-every",
        type=float,
        default=_default(CalibrationOptions, "every_s"),
        metavar="S",
        help="longest pause between two calibrations; faster while the camera moves (default %(default)s)",
    )
    o.add_argument("--log-level", default="WARNING", help="Python logging level (default %(default)s)")
    r = p.add_argument_group("run length")
    r.add_argument("--max-frames", type=int, metavar="N", help="stop (exit 0) after N decoded frames")
    r.add_argument("--duration", type=float, metavar="S", help="stop (exit 0) after S seconds")
    return p


def config_from_args(args: argparse.Namespace) -> AgentConfig:
    """Maps parsed options onto AgentConfig."""
    peer = PeerOptions(
        ice=IceServerOptions(
            stun=tuple(args.stun),
            turn=tuple(args.turn),
            turn_username=args.turn_user,
            turn_password=args.turn_password,
        ),
        ice_hosts=tuple(args.ice_host),
        prefer_codec=args.prefer_codec,
        start_bitrate_kbps=args.start_bitrate,
        min_bitrate_kbps=args.min_bitrate,
        max_bitrate_kbps=args.max_bitrate or None,
        connect_timeout=args.connect_timeout,
    )
    # Made (so checked) even when not asked for: a bad --dump-every or --calibrate-every is an error anyway.
    dump = DumpOptions(
        args.dump or Path(), fmt=args.dump_format, every=args.dump_every, max_files=args.dump_max
    )
    calibration = CalibrationOptions(every_s=args.calibrate_every)
    return AgentConfig(
        server_url=args.server,
        listen_host=args.listen_host,
        listen_port=args.listen_port,
        public_url=args.public_url,
        tls=args.tls,
        cert=args.cert,
        key=args.key,
        peer=peer,
        negotiation=NegotiationOptions(offer_mode=OfferMode(args.offer), offer_grace=args.offer_grace),
        client=ClientOptions(resume_timeout=args.resume_timeout, give_up_after=args.give_up),
        dump=dump if args.dump is not None else None,
        calibration=calibration if args.calibrate else None,
        stats_interval=args.stats_interval,
    )


class _Console:
    """Human-readable output: the code, the URL and the QR code; errors."""

    def __init__(self, out: TextIO, draw_qr: bool, qr_file: Path | None) -> None:
        self.out, self.draw_qr, self.qr_file = out, draw_qr, qr_file

    def __call__(self, event: Event) -> None:
        if isinstance(event, CodeEvent):
            note = f" (new code: {event.reason})" if event.renewed else ""
            print(f"Pairing code: {event.code}{note}\nPhone URL:    {event.url}", file=self.out)
            if self.draw_qr and event.url:
                print(terminal_qr(event.url), file=self.out)
            if self.qr_file is not None and event.url:
                try:
                    write_qr_png(event.url, self.qr_file)
                except OSError as exc:
                    print(f"error (qr): cannot write the QR code to {self.qr_file}: {exc}", file=sys.stderr)
        elif isinstance(event, Calibrated):
            if event.H is None:
                print("Board calibration lost", file=self.out)
            else:
                print(f"Board calibrated ({event.reason}): ~{event.error_mm:.1f} mm", file=self.out)
        elif isinstance(event, ErrorEvent):
            print(f"error ({event.where}): {event.message}", file=sys.stderr)
        self.out.flush()


async def run(args: argparse.Namespace, config: AgentConfig | None = None) -> int:
    """Runs the agent (`config`, or the one `args` give) until a stop condition; returns the exit code."""
    agent = Agent(config or config_from_args(args))
    try:
        writer = JsonLinesWriter(args.events) if args.events else None
    except OSError as exc:
        print(f"dartcam-receiver: cannot write events to {args.events}: {exc}", file=sys.stderr)
        return 2
    if writer is not None:
        agent.subscribe(writer)
    console_out = sys.stderr if args.events == "-" else sys.stdout
    agent.subscribe(_Console(console_out, not args.no_qr, args.qr))
    stopped: list[Stopped] = []
    agent.subscribe(lambda event: stopped.append(event) if isinstance(event, Stopped) else None)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []  # the one stop task, kept until the end

    def stop_ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logging.getLogger(__name__).error("stopping the agent failed", exc_info=task.exception())

    def request_stop(reason: str) -> None:
        if not stopping:
            stopping.append(loop.create_task(agent.stop(reason=reason)))
            stopping[0].add_done_callback(stop_ended)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop, f"signal {sig.name}")
    try:
        await agent.start()
    except AgentError as exc:
        print(f"dartcam-receiver: {exc}", file=sys.stderr)
        if writer is not None:
            writer.close()
        return 1
    if args.duration is not None:
        loop.call_later(args.duration, request_stop, f"duration {args.duration:g} s reached")
    if args.max_frames is not None:
        limit = args.max_frames

        def count(frame: Frame) -> None:
            if frame.meta.index >= limit:
                request_stop(f"{limit} frames received")

        agent.sink.listeners.append(count)
    await agent.wait_stopped()
    if writer is not None:
        writer.close()
    if agent.fatal:
        print(f"dartcam-receiver: {agent.fatal}", file=sys.stderr)
        return 1
    if stopped:
        print(f"stopped: {stopped[0].reason}; {stopped[0].decoded} frames decoded", file=console_out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "calibrate":
        # Imported only here: the calibration is its own part with its own options.
        try:
            from desktop_receiver.calibration.cli import main as calibrate_main
        except ModuleNotFoundError as exc:
            if exc.name != "desktop_receiver.calibration.cli":
                raise
            print("dartcam-receiver: the calibration command is not available in this build", file=sys.stderr)
            return 2
        return int(calibrate_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)  # the options classes check their values
    except ValueError as exc:
        parser.error(str(exc))
    if args.qr is not None and not args.qr.parent.is_dir():
        parser.error(f"--qr: directory {args.qr.parent} does not exist")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(run(args, config))
    except KeyboardInterrupt:
        return 0
