"""The agent's events: one dataclass per kind, serialised as one JSON object per line with an `event`
name and a wall-clock `t`. Programs that drive the agent read them from `--events FILE` or subscribe to
them through the Python API (`Agent.subscribe`)."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import IO, Any, ClassVar

log = logging.getLogger(__name__)


@dataclass
class Event:
    """Base of every event: `name` is the `event` field on the wire, `t` the wall-clock time."""

    name: ClassVar[str] = "event"
    t: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready object: {"event": name, "t": ..., fields...}."""
        return {"event": self.name, **asdict(self)}

    def to_json(self) -> str:
        """One JSON line (no trailing newline)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), default=str)


@dataclass
class CodeEvent(Event):
    """A pairing code is ready (also after the server could not resume and a new code replaced it)."""

    name: ClassVar[str] = "code"
    code: str
    url: str | None  # the best one, which the QR code holds
    expires_at: float | None = None
    renewed: bool = False
    reason: str | None = None
    # The embedded server's other addresses for the same page, and whether it serves a self-signed
    # certificate (the phone then shows a warning first).
    other_urls: list[str] = field(default_factory=list)
    self_signed: bool = False
    # That self-signed certificate's file, for clients that check it (the simulated phone's --cafile).
    certificate: str | None = None


@dataclass
class PeerJoined(Event):
    """A phone joined the session."""

    name: ClassVar[str] = "peer-joined"
    code: str


@dataclass
class Connected(Event):
    """Media flows: the codec and the resolution of the first decoded frame."""

    name: ClassVar[str] = "connected"
    codec: str | None
    width: int
    height: int
    attempt: int
    ms_to_connect: float | None = None


@dataclass
class FirstFrame(Event):
    """The first frame of a peer connection reached numpy."""

    name: ClassVar[str] = "first-frame"
    ms_since_join: float | None
    width: int
    height: int
    attempt: int


@dataclass
class Stats(Event):
    """Periodic figures of the frame sink."""

    name: ClassVar[str] = "stats"
    fps: float
    received: int
    decoded: int
    dropped: int
    width: int | None
    height: int | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@dataclass
class PeerLeft(Event):
    """The phone left: its socket closed (`cam-peer-left`) or its peer connection ended."""

    name: ClassVar[str] = "peer-left"
    reason: str


@dataclass
class Reconnecting(Event):
    """The signaling socket dropped; the agent reconnects after `delay` seconds."""

    name: ClassVar[str] = "reconnecting"
    attempt: int
    delay: float
    reason: str


@dataclass
class Resumed(Event):
    """The signaling socket is back and the server resumed the session under the same code."""

    name: ClassVar[str] = "resumed"
    code: str


@dataclass
class Calibrated(Event):
    """The board calibration changed (first found, camera moved, drifted, or lost: then H is None)."""

    name: ClassVar[str] = "calibrated"
    reason: str
    H: list[float] | None
    error_px: float | None
    error_mm: float | None
    confidence: float | None
    width: int | None
    height: int | None
    # The lens between H's ideal image and the camera's pixels (calibration.lens.Lens.to_json()), and
    # whether the 20 was assumed near up because the number ring could not be read.
    distortion: dict | None = None
    guessed_orientation: bool | None = None


@dataclass
class ErrorEvent(Event):
    """Something went wrong; `fatal` ones end the agent."""

    name: ClassVar[str] = "error"
    message: str
    where: str = "agent"
    fatal: bool = False


@dataclass
class Stopped(Event):
    """The agent stopped, with its totals."""

    name: ClassVar[str] = "stopped"
    reason: str
    received: int
    decoded: int
    dropped: int
    connections: int
    seconds: float


Subscriber = Callable[[Event], None]


class EventBus:
    """Fans events out to subscribers: callables, called on the event loop."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Calls `callback(event)` for every event; returns a function that unsubscribes it."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def emit(self, event: Event) -> None:
        """Delivers `event` to every subscriber; a failing subscriber is logged, not propagated."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber failed on %s", event.name)


class JsonLinesWriter:
    """Writes events as JSON lines to a file (replaced: one run per file) or stdout for "-",
    flushing each line."""

    def __init__(self, target: str) -> None:
        self._own = target != "-"
        self._fh: IO[str] = open(target, "w", encoding="utf-8") if self._own else sys.stdout  # noqa: SIM115

    def __call__(self, event: Event) -> None:
        """Writes one event (small writes: fine on the event loop)."""
        self._fh.write(event.to_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Closes the file (never stdout)."""
        if self._own:
            self._fh.close()
