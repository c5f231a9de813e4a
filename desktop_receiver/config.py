"""Everything the desktop agent can be told: AgentConfig and the options it nests. Each field that is a
command-line flag says so in its metadata (help, flag; see signaling/cli.py)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_receiver.calibration.runner import CalibrationOptions
from desktop_receiver.media.dump import DumpOptions
from desktop_receiver.pairing.interface import ClientOptions
from desktop_receiver.scoring.options import ScoringOptions
from desktop_receiver.webrtc.negotiation import NegotiationOptions
from desktop_receiver.webrtc.peer import PeerOptions
from signaling.cli import nested, option
from signaling.config import ServerConfig

SIGNALING = "signaling"  # the help's group of the signaling options


@dataclass(frozen=True)
class AgentConfig:
    """Everything the agent can be told (the CLI maps its options onto this)."""

    server_url: str | None = option(
        None,
        "signaling server ws://host:port/ws or wss://...; none: start one embedded in this process",
        flag="--server",
        metavar="URL",
        group=SIGNALING,
    )
    listen_host: str = option(
        ServerConfig.host,
        "embedded server: address to bind (by default every interface, reachable by phones on the LAN)",
        group=SIGNALING,
    )
    listen_port: int = option(
        ServerConfig.port, "embedded server: port (0 picks a free one)", group=SIGNALING
    )
    public_url: str | None = option(
        None,
        "embedded server: base URL phones use to reach it (for the phone URL and the QR code), "
        "e.g. https://desk.local:8787",
        metavar="URL",
        group=SIGNALING,
    )
    tls: bool | None = option(
        None,
        "embedded server: serve HTTPS and WSS (phones give the camera only to secure pages) with a "
        "self-signed certificate made at first start in ~/.config/dartcam/ unless --cert/--key are given; "
        "by default on unless --listen-host is loopback; --no-tls serves plain HTTP",
        group=SIGNALING,
    )
    cert: str | None = option(
        None,
        "embedded server: TLS certificate instead of the self-signed one",
        metavar="PEM",
        group=SIGNALING,
    )
    key: str | None = option(
        None, "embedded server: TLS private key (with --cert)", metavar="PEM", group=SIGNALING
    )
    peer: PeerOptions = nested(PeerOptions, group="WebRTC")
    negotiation: NegotiationOptions = nested(NegotiationOptions, group="WebRTC")
    client: ClientOptions = nested(ClientOptions, group=SIGNALING)
    # None: no dump; `--dump DIR` turns it on.
    dump: DumpOptions | None = nested(DumpOptions, group="output", optional=True, enable="directory")
    # None: no calibration of received frames.
    calibration: CalibrationOptions | None = nested(
        CalibrationOptions,
        group="calibration",
        optional=True,
        enable="calibrate",
        help="find the dartboard in the received frames (in a worker thread), keep the calibration stable "
        "across frames, emit `calibrated` events, send cam-calibration to the phone (and store it on a "
        "base-protocol server); with --dump, an overlay is written beside each dumped frame",
    )
    # None: no score interfaces.
    scoring: ScoringOptions | None = nested(
        ScoringOptions,
        group="scoring",
        optional=True,
        enable="autoscore",
        help="serve the score interfaces of shared/AUTOSCORE.md on --board-api (board-manager style /api, "
        "/autoscore, /scores) and emit the visit's events (throw, takeout-started, takeout-finished, "
        "scoring-paused); needs --calibrate: darts are detected in the video and scored on the calibrated "
        "board, and scoring pauses while the calibration is lost; with --dump, each throw is written to "
        "DIR/throws",
    )
    stats_interval: float = option(5.0, "seconds between stats events", metavar="S", group="output")
    start_timeout: float = 30.0
    # Against a base-protocol server: how long a departed phone may take to come back on the same session.
    base_rejoin_wait: float = 3.0
    server_stop_timeout: float = 8.0

    def __post_init__(self) -> None:
        if self.stats_interval <= 0:
            raise ValueError("--stats-interval must be more than 0 seconds")
