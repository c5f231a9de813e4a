"""The score interfaces' wire formats (shared/AUTOSCORE.md), as pure functions from the scoring's
dataclasses to JSON-ready dicts: §1 the board-manager style local API, §2 the deployed darts app's
"external WebSocket" provider, §3 the plain `/scores` shape. The one place that knows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_receiver.calibration import board
from desktop_receiver.scoring.model import (
    DartCorrected,
    ManualReset,
    Ring,
    ScoringPaused,
    ScoringResumed,
    ScoringStarted,
    ScoringStopped,
    TakeoutFinished,
    TakeoutStarted,
    Throw,
    ThrowDetected,
)
from desktop_receiver.scoring.visit import Phase, VisitState

# §1 answers `GET /api/version` with this: its clients branch on a leading "1." or "2.".
BOARD_API_VERSION = "1.0.0"
COORD_DIGITS = 4

# -- §1 board-manager style ---------------------------------------------------------------------------

BEDS = {
    Ring.INNER_BULL: "Double",
    Ring.OUTER_BULL: "Single",
    Ring.SINGLE_INNER: "SingleInner",
    Ring.SINGLE_OUTER: "SingleOuter",
    Ring.TRIPLE: "Triple",
    Ring.DOUBLE: "Double",
    Ring.OUTSIDE: "Outside",
    Ring.BOUNCER: "Outside",
}
BOARD_EVENTS: dict[type, str] = {
    ThrowDetected: "Throw detected",
    DartCorrected: "Throw detected",
    TakeoutStarted: "Takeout started",
    TakeoutFinished: "Takeout finished",
    ManualReset: "Manual reset",
    ScoringPaused: "Calibration started",
    ScoringResumed: "Calibration finished",
    ScoringStarted: "Started",
    ScoringStopped: "Stopped",
}
PHASE_STATUS = {
    Phase.THROW: "Throw",
    Phase.TAKEOUT: "Takeout",
    Phase.TAKEOUT_IN_PROGRESS: "Takeout in progress",
}


def _segment_name(throw: Throw) -> str:
    if throw.ring is Ring.INNER_BULL:
        return "Bull"
    if throw.ring is Ring.OUTER_BULL:
        return "25"
    if throw.ring is Ring.BOUNCER:
        return "Miss"
    if throw.ring is Ring.OUTSIDE:
        return f"M{throw.number}"
    return throw.segment  # S20, D5, T19: the same names


def board_coords(board_mm: tuple[float, float]) -> dict[str, float]:
    """§1 coords of a board point: units of the outer double wire's radius, x right, y up to the 20."""
    scale = board.OUTER_DOUBLE_WIRE_MM
    # `+ 0.0` turns a -0.0 into 0.0 on the wire.
    x = round(board_mm[0] / scale, COORD_DIGITS) + 0.0
    y = round(-board_mm[1] / scale, COORD_DIGITS) + 0.0
    return {"x": x, "y": y}


def board_throw(throw: Throw) -> dict[str, Any]:
    """§1 one throw: {"segment": {name, number, bed, multiplier}, "coords": {x, y}} (a bouncer: no
    coords, `"bouncer": true`)."""
    number = 0 if throw.bouncer else throw.number
    segment = {
        "name": _segment_name(throw),
        "number": number,
        "bed": BEDS[throw.ring],
        "multiplier": throw.multiplier,
    }
    if throw.board_mm is None:
        return {"segment": segment, "bouncer": True}
    return {"segment": segment, "coords": board_coords(throw.board_mm)}


def board_status(state: VisitState) -> str:
    """§1 `status` of the visit."""
    if not state.running:
        return "Stopped"
    if state.paused:
        return "Calibrating"
    return PHASE_STATUS[state.phase]


def board_event(state: VisitState) -> str:
    """§1 `event`: what made the visit as it is ("Started" before anything happened)."""
    if state.last is None:
        return "Started"
    return BOARD_EVENTS[type(state.last)]


def board_state(state: VisitState, connected: bool) -> dict[str, Any]:
    """§1 the `state` object (`connected`: a camera is sending frames)."""
    return {
        "connected": connected,
        "running": state.running,
        "status": board_status(state),
        "event": board_event(state),
        "numThrows": len(state.throws),
        "throws": [board_throw(t) for t in state.throws],
    }


@dataclass(frozen=True)
class CameraInfo:
    """What §1 says about the camera: whether frames come, their rate and size (0 when unknown)."""

    connected: bool = False
    fps: float = 0.0
    width: int = 0
    height: int = 0


def board_stats(camera: CameraInfo) -> dict[str, Any]:
    """§1 `stats`."""
    return {"fps": round(camera.fps, 1), "resolution": {"width": camera.width, "height": camera.height}}


def board_cam_state(camera: CameraInfo, running: bool) -> dict[str, Any]:
    """§1 `cam_state`."""
    return {"isOpened": camera.connected, "isRunning": camera.connected and running}


def board_config(camera: CameraInfo) -> dict[str, Any]:
    """§1 `GET /api/config` (clients read cam.width/height/fps)."""
    return {
        "auth": {"enabled": False},
        "cam": {"width": camera.width, "height": camera.height, "fps": round(camera.fps, 1)},
        "motion": {},
    }


def board_message(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """§1 a WebSocket frame of /api/events: {"type": kind, "data": data}."""
    return {"type": kind, "data": data}


# -- §2 the deployed app's external WebSocket provider -----------------------------------------------

APP_RINGS = {
    Ring.INNER_BULL: "INNER_BULL",
    Ring.OUTER_BULL: "BULL",
    Ring.SINGLE_INNER: "SINGLE",
    Ring.SINGLE_OUTER: "SINGLE",
    Ring.TRIPLE: "TRIPLE",
    Ring.DOUBLE: "DOUBLE",
    Ring.OUTSIDE: "MISS",
    Ring.BOUNCER: "MISS",
}


def app_dart(throw: Throw) -> dict[str, Any]:
    """§2 one dart: {"type": "dart", "value", "ring", "sector", "mult", "confidence", "id"}."""
    miss = throw.multiplier == 0
    return {
        "type": "dart",
        "value": throw.points,
        "ring": APP_RINGS[throw.ring],
        "sector": 0 if miss else throw.number,
        "mult": throw.multiplier,
        "confidence": round(throw.confidence, 3),
        "id": throw.id,
    }


# -- §3 the plain /scores shape --------------------------------------------------------------------


def plain_label(throw: Throw) -> str:
    """§3 `score`: S|D|T1-20, OUTER (25), BULL (50), MISS."""
    return {Ring.OUTER_BULL: "OUTER", Ring.INNER_BULL: "BULL"}.get(throw.ring, throw.segment)


def plain_score(throw: Throw, camera: int = 0) -> dict[str, Any]:
    """§3 one dart: {"score", "position": {x, y} image px (null when unknown), "confidence", "camera",
    "timestamp": ms}."""
    position = None
    if throw.image_px is not None:
        position = {"x": round(throw.image_px[0], 1), "y": round(throw.image_px[1], 1)}
    return {
        "score": plain_label(throw),
        "position": position,
        "confidence": round(throw.confidence, 3),
        "camera": camera,
        "timestamp": int(throw.t * 1000),
    }
