"""Command line of the desktop agent (`python -m desktop_receiver`, `dartcam-receiver`), and the
`calibrate` subcommand that hands over to the calibration's own command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from desktop_receiver.agent import Agent, AgentError
from desktop_receiver.calibration.cli import main as calibrate_main
from desktop_receiver.config import AgentConfig
from desktop_receiver.events import Calibrated, CodeEvent, ErrorEvent, Event, JsonLinesWriter, Stopped
from desktop_receiver.qr import terminal_qr, write_qr_png
from desktop_receiver.scoring.photos import main as score_main
from signaling.cli import Flag, HelpFormatter, add_flags, build, env_variable, option, walk, with_env
from signaling.reach import certificate_note, phone_hint

EPILOG = """\
subcommands:
  calibrate ...   board calibration on images or frame dumps (`calibrate --help` lists its options)
  score ...       throw detection on still photos: BEFORE AFTER... (`score --help`)

The agent prints the pairing code and the phone's URL (with a QR code), answers the phone's WebRTC offer
(or offers itself to a phone that only answers), and turns every received frame into a BGR numpy array.
Without --server it runs the signaling server inside the agent's process on --listen-host:--listen-port.
Exit codes: 0 after --max-frames/--duration or an interrupt; 1 on an unrecoverable error; 2 on bad options.
"""


ENV_PREFIX = "DARTCAM_RECEIVER_"
env = env_variable(ENV_PREFIX)


@dataclass(frozen=True)
class RunOptions:
    """What the command line adds to AgentConfig: where the output goes and when the run ends."""

    events: str | None = option(
        None,
        "write events as JSON lines to FILE ('-': stdout; the human-readable output then goes to stderr)",
        metavar="FILE",
        group="output",
    )
    qr: Path | None = option(
        None, "also write the phone URL's QR code as a PNG", metavar="FILE", group="output"
    )
    no_qr: bool = option(False, "do not draw the QR code in the terminal", group="output")
    log_level: str = option("WARNING", "Python logging level", group="output")
    max_frames: int | None = option(
        None, "stop (exit 0) after N decoded frames", metavar="N", group="run length"
    )
    duration: float | None = option(None, "stop (exit 0) after S seconds", metavar="S", group="run length")


def agent_flags() -> list[Flag]:
    """The flags of AgentConfig and the options it nests."""
    return list(walk(AgentConfig))


def run_flags() -> list[Flag]:
    """The flags of RunOptions."""
    return list(walk(RunOptions))


def build_parser(
    defaults: AgentConfig | None = None, run_defaults: RunOptions | None = None
) -> argparse.ArgumentParser:
    """The agent's argument parser (defaults: the options classes' own, or those given)."""
    parser = argparse.ArgumentParser(
        prog="dartcam-receiver",
        description="dartcam desktop agent: receives a phone camera over WebRTC and hands frames to OpenCV. "
        f"Every option can also be set by its environment variable ({ENV_PREFIX}...).",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    groups: dict[str, argparse._ArgumentGroup] = {}
    add_flags(parser, agent_flags(), defaults or AgentConfig(), env, groups)
    add_flags(parser, run_flags(), run_defaults or RunOptions(), env, groups)
    return parser


def config_from_args(args: argparse.Namespace) -> AgentConfig:
    """AgentConfig from parsed options (its classes check the values: ValueError)."""
    return build(AgentConfig, agent_flags(), vars(args))


def run_options_from_args(args: argparse.Namespace) -> RunOptions:
    """RunOptions from parsed options."""
    return build(RunOptions, run_flags(), vars(args))


def parse(argv: list[str], environ: Mapping[str, str]) -> tuple[AgentConfig, RunOptions]:
    """The options from the environment `environ`, overridden by `argv`; a bad value exits 2 with the
    reason (argparse's error)."""
    try:
        defaults = with_env(AgentConfig(), agent_flags(), env, environ)
        run_defaults = with_env(RunOptions(), run_flags(), env, environ)
    except ValueError as exc:
        build_parser().error(str(exc))
    parser = build_parser(defaults, run_defaults)
    args = parser.parse_args(argv)
    try:
        config, options = config_from_args(args), run_options_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if options.qr is not None and not options.qr.parent.is_dir():
        parser.error(f"--qr: directory {options.qr.parent} does not exist")
    if config.scoring is not None and config.calibration is None:
        parser.error("--autoscore needs --calibrate: throws are found on the calibrated board")
    return config, options


class _Console:
    """Human-readable output: the code, the URL and the QR code; errors."""

    def __init__(self, out: TextIO, draw_qr: bool, qr_file: Path | None) -> None:
        self.out, self.draw_qr, self.qr_file = out, draw_qr, qr_file

    def __call__(self, event: Event) -> None:
        if isinstance(event, CodeEvent):
            self._code(event)
        elif isinstance(event, Calibrated):
            if event.H is None:
                print("Board calibration lost", file=self.out)
            else:
                print(f"Board calibrated ({event.reason}): ~{event.error_mm:.1f} mm", file=self.out)
        elif isinstance(event, ErrorEvent):
            print(f"error ({event.where}): {event.message}", file=sys.stderr)
        self.out.flush()

    def _code(self, event: CodeEvent) -> None:
        """The code, the URL (and where else the page is, saying which one the QR code holds), what
        the phone will show, and the QR code."""
        note = f" (new code: {event.reason})" if event.renewed else ""
        qr_note = " (in the QR code)" if event.other_urls and (self.draw_qr or self.qr_file) else ""
        print(f"Pairing code: {event.code}{note}\nPhone URL:    {event.url}{qr_note}", file=self.out)
        for url in event.other_urls:
            print(f"Also at:      {url}", file=self.out)
        hint = phone_hint(event.url, event.self_signed) if event.url else None
        if hint:
            print(hint, file=self.out)
        if event.certificate and not event.renewed:
            print(certificate_note(event.certificate), file=self.out)
        if self.draw_qr and event.url:
            print(terminal_qr(event.url), file=self.out)
        if self.qr_file is not None and event.url:
            try:
                write_qr_png(event.url, self.qr_file)
            except OSError as exc:
                print(f"error (qr): cannot write the QR code to {self.qr_file}: {exc}", file=sys.stderr)


class Output:
    """The run's output: events as JSON lines (`--events`), the console (code, URL, QR code, errors)
    and the closing line. Opening an events file that cannot be written raises OSError."""

    def __init__(self, options: RunOptions) -> None:
        self.events = JsonLinesWriter(options.events) if options.events else None
        self.console_out = sys.stderr if options.events == "-" else sys.stdout
        self.console = _Console(self.console_out, not options.no_qr, options.qr)
        self.stopped: Stopped | None = None

    def attach(self, agent: Agent) -> None:
        """Subscribes the outputs to the agent's events."""
        if self.events is not None:
            agent.subscribe(self.events)
        agent.subscribe(self.console)
        agent.subscribe(self._note_stop)

    def _note_stop(self, event: Event) -> None:
        if isinstance(event, Stopped) and self.stopped is None:
            self.stopped = event

    def close(self) -> None:
        """Closes the events file."""
        if self.events is not None:
            self.events.close()

    def finish(self, agent: Agent) -> int:
        """Closes the outputs, says how the run ended and returns the exit code."""
        self.close()
        if agent.fatal:
            print(f"dartcam-receiver: {agent.fatal}", file=sys.stderr)
            return 1
        if self.stopped is not None:
            print(
                f"stopped: {self.stopped.reason}; {self.stopped.decoded} frames decoded",
                file=self.console_out,
            )
        return 0


class StopConditions:
    """Ends the run once, by the first of: SIGINT or SIGTERM, `--duration`, `--max-frames`."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._stopping: asyncio.Task[None] | None = None  # the one stop task, kept until the end

    def request(self, reason: str) -> None:
        """Stops the agent (the first request wins)."""
        if self._stopping is None:
            self._stopping = asyncio.get_running_loop().create_task(self.agent.stop(reason=reason))
            self._stopping.add_done_callback(_stop_ended)

    def on_signals(self) -> None:
        """SIGINT and SIGTERM stop the agent (where the loop can take signal handlers)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request, f"signal {sig.name}")

    def arm(self, options: RunOptions) -> None:
        """Starts the run-length limits (once the agent has started)."""
        if options.duration is not None:
            reason = f"duration {options.duration:g} s reached"
            asyncio.get_running_loop().call_later(options.duration, self.request, reason)
        limit = options.max_frames
        if limit is not None:
            self.agent.watch_frames(
                lambda frame: self.request(f"{limit} frames received") if frame.meta.index >= limit else None
            )


def _stop_ended(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger(__name__).error("stopping the agent failed", exc_info=task.exception())


async def run(options: RunOptions, config: AgentConfig) -> int:
    """Runs the agent until a stop condition; returns the exit code."""
    agent = Agent(config)
    try:
        output = Output(options)
    except OSError as exc:
        print(f"dartcam-receiver: cannot write events to {options.events}: {exc}", file=sys.stderr)
        return 2
    output.attach(agent)
    stops = StopConditions(agent)
    stops.on_signals()
    try:
        await agent.start()
    except AgentError as exc:
        print(f"dartcam-receiver: {exc}", file=sys.stderr)
        output.close()
        return 1
    stops.arm(options)
    await agent.wait_stopped()
    return output.finish(agent)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "calibrate":
        return int(calibrate_main(argv[1:]) or 0)
    if argv and argv[0] == "score":
        return score_main(argv[1:])
    config, options = parse(argv, os.environ)
    logging.basicConfig(
        level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(run(options, config))
    except KeyboardInterrupt:
        return 0
