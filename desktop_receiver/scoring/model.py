"""The scoring's internal events: a `Throw` (one dart, scored) and the visit's events, as agent events
(JSON lines, `Agent.subscribe`). Scores come from calibration/scoring.py, geometry from
calibration/board.py."""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass, field
from typing import ClassVar

from desktop_receiver.calibration.scoring import score_board_point
from desktop_receiver.events import Event

MAX_DARTS = 3  # darts in a visit


class Ring(enum.StrEnum):
    """Where on the board a dart is: the bed of its score (calibration.scoring.BEDS, plus a dart that fell
    out; wire formats name these their own way)."""

    INNER_BULL = "inner-bull"
    OUTER_BULL = "outer-bull"
    SINGLE_INNER = "single-inner"  # between the bull and the treble
    TRIPLE = "triple"
    SINGLE_OUTER = "single-outer"  # between the treble and the double
    DOUBLE = "double"
    OUTSIDE = "outside"  # on the board, outside the doubles
    BOUNCER = "bouncer"  # fell out: no position


@dataclass(frozen=True)
class Throw:
    """One scored dart. `segment` is "T20", "D5", "S1", "25", "50" or "MISS"; `number` the segment's
    number (25 for both bulls; for a miss the segment beside it, 0 for a bouncer); `board_mm` the tip on
    the board plane (mm, board coordinates: +y down, the 20 at -y); `image_px` the tip in the frame."""

    segment: str
    points: int
    number: int
    multiplier: int
    ring: Ring
    board_mm: tuple[float, float] | None
    image_px: tuple[float, float] | None
    confidence: float
    dart: int  # 1-3 in the visit
    frames: tuple[int, ...]  # frame indices it was found in
    id: str
    bouncer: bool = False
    t: float = field(default_factory=time.time)


MULTIPLIERS = {
    Ring.INNER_BULL: 2,
    Ring.OUTER_BULL: 1,
    Ring.SINGLE_INNER: 1,
    Ring.SINGLE_OUTER: 1,
    Ring.TRIPLE: 3,
    Ring.DOUBLE: 2,
    Ring.OUTSIDE: 0,
    Ring.BOUNCER: 0,
}


def score_point(
    board_mm: tuple[float, float] | None,
    *,
    dart: int,
    image_px: tuple[float, float] | None = None,
    confidence: float = 1.0,
    frames: tuple[int, ...] = (),
    throw_id: str | None = None,
) -> Throw:
    """The throw of a dart at `board_mm` (None: a bouncer, it fell out). ValueError on a confidence
    outside 0-1 or a dart number outside 1-3."""
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be in 0-1, not {confidence}")
    if not 1 <= dart <= MAX_DARTS:
        raise ValueError(f"dart must be 1-{MAX_DARTS}, not {dart}")
    ident = throw_id or uuid.uuid4().hex
    common = {"image_px": image_px, "confidence": confidence, "dart": dart, "frames": frames, "id": ident}
    if board_mm is None:
        return Throw("MISS", 0, 0, 0, Ring.BOUNCER, None, bouncer=True, **common)
    x, y = float(board_mm[0]), float(board_mm[1])
    score = score_board_point(x, y)
    ring = Ring(score.bed)
    return Throw(score.label, score.points, score.number, MULTIPLIERS[ring], ring, (x, y), **common)


@dataclass
class ThrowDetected(Event):
    """A dart was scored (`throw.dart` is its number in the visit)."""

    name: ClassVar[str] = "throw"
    throw: Throw


@dataclass
class DartCorrected(Event):
    """A dart of the visit was replaced by a corrected score."""

    name: ClassVar[str] = "dart-corrected"
    throw: Throw
    replaced: Throw


@dataclass
class TakeoutStarted(Event):
    """A hand is pulling the darts."""

    name: ClassVar[str] = "takeout-started"
    darts: int


@dataclass
class TakeoutFinished(Event):
    """The board is empty again: a new visit begins."""

    name: ClassVar[str] = "takeout-finished"


@dataclass
class ManualReset(Event):
    """The visit was cleared by hand (API or a client's reset)."""

    name: ClassVar[str] = "manual-reset"
    darts: int


@dataclass
class ScoringPaused(Event):
    """No darts are scored for now (e.g. the calibration is lost)."""

    name: ClassVar[str] = "scoring-paused"
    reason: str


@dataclass
class ScoringResumed(Event):
    """Scoring goes on after a pause."""

    name: ClassVar[str] = "scoring-resumed"


@dataclass
class ScoringStarted(Event):
    """Scoring was switched on (at start, or by a client's start)."""

    name: ClassVar[str] = "scoring-started"


@dataclass
class ScoringStopped(Event):
    """Scoring was switched off by a client's stop."""

    name: ClassVar[str] = "scoring-stopped"


ScoreEvent = (
    ThrowDetected
    | DartCorrected
    | TakeoutStarted
    | TakeoutFinished
    | ManualReset
    | ScoringPaused
    | ScoringResumed
    | ScoringStarted
    | ScoringStopped
)
