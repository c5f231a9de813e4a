"""The visit state machine: up to three darts, then the takeout; a manual reset; a corrected dart;
pauses (calibration lost) and a client's stop. Each change returns the event it makes (model.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from desktop_receiver.scoring.model import (
    MAX_DARTS,
    DartCorrected,
    ManualReset,
    ScoreEvent,
    ScoringPaused,
    ScoringResumed,
    ScoringStarted,
    ScoringStopped,
    TakeoutFinished,
    TakeoutStarted,
    Throw,
    ThrowDetected,
    score_point,
)


class VisitError(ValueError):
    """A change the visit cannot make now (a 4th dart, a takeout that never started, ...)."""


class Phase(enum.StrEnum):
    """Where the visit is."""

    THROW = "throw"  # waiting for darts (0-2 on the board)
    TAKEOUT = "takeout"  # 3 darts: waiting for the hand
    TAKEOUT_IN_PROGRESS = "takeout-in-progress"


@dataclass(frozen=True)
class VisitState:
    """A snapshot of the visit, for the wire formats: `last` is the event that made it (None at first)."""

    running: bool
    paused: bool
    phase: Phase
    throws: tuple[Throw, ...]
    last: ScoreEvent | None


class Visit:
    """The current visit. Not thread-safe: use it on the event loop."""

    def __init__(self) -> None:
        self.throws: list[Throw] = []
        self.phase = Phase.THROW
        self.running = True
        self.paused = False
        self.pause_reason: str | None = None
        self.last: ScoreEvent | None = None

    def state(self) -> VisitState:
        """The visit as it is now."""
        return VisitState(self.running, self.paused, self.phase, tuple(self.throws), self.last)

    def _made(self, event: ScoreEvent) -> ScoreEvent:
        self.last = event
        return event

    def throw(
        self,
        board_mm: tuple[float, float] | None,
        *,
        image_px: tuple[float, float] | None = None,
        confidence: float = 1.0,
        frames: tuple[int, ...] = (),
    ) -> ThrowDetected:
        """Scores the next dart at `board_mm` (None: a bouncer). VisitError when no dart can come now:
        3 on the board, a takeout, scoring stopped or paused."""
        if not self.running:
            raise VisitError("scoring is stopped")
        if self.paused:
            raise VisitError("scoring is paused")
        if self.phase is not Phase.THROW or len(self.throws) >= MAX_DARTS:
            raise VisitError(f"no dart is expected now ({self.phase.value}, {len(self.throws)} darts)")
        dart = score_point(
            board_mm, dart=len(self.throws) + 1, image_px=image_px, confidence=confidence, frames=frames
        )
        self.throws.append(dart)
        if len(self.throws) == MAX_DARTS:
            self.phase = Phase.TAKEOUT
        return self._made(ThrowDetected(throw=dart))

    def correct(self, dart: int, board_mm: tuple[float, float] | None) -> DartCorrected:
        """Replaces dart `dart` (1-based) of the visit by the score at `board_mm` (a new id)."""
        if not 1 <= dart <= len(self.throws):
            raise VisitError(f"no dart {dart} in this visit ({len(self.throws)} darts)")
        old = self.throws[dart - 1]
        # A correction comes from a person: certain, and not seen in any frame.
        new = score_point(board_mm, dart=dart, confidence=1.0)
        self.throws[dart - 1] = new
        return self._made(DartCorrected(throw=new, replaced=old))

    def takeout_started(self) -> TakeoutStarted:
        """A hand pulls the darts (after any number of them: a checkout or a bust ends a visit early)."""
        if self.phase is Phase.TAKEOUT_IN_PROGRESS:
            raise VisitError("the takeout has already started")
        self.phase = Phase.TAKEOUT_IN_PROGRESS
        return self._made(TakeoutStarted(darts=len(self.throws)))

    def takeout_finished(self) -> TakeoutFinished:
        """The board is empty again: the next visit begins."""
        if self.phase is not Phase.TAKEOUT_IN_PROGRESS:
            raise VisitError("no takeout has started")
        self.throws.clear()
        self.phase = Phase.THROW
        return self._made(TakeoutFinished())

    def reset(self) -> ManualReset:
        """Clears the visit by hand, whatever its phase."""
        darts = len(self.throws)
        self.throws.clear()
        self.phase = Phase.THROW
        return self._made(ManualReset(darts=darts))

    def pause(self, reason: str) -> ScoringPaused:
        """No darts until `resume()` (e.g. the calibration is lost)."""
        self.paused, self.pause_reason = True, reason
        return self._made(ScoringPaused(reason=reason))

    def resume(self) -> ScoringResumed:
        """Darts are scored again."""
        self.paused, self.pause_reason = False, None
        return self._made(ScoringResumed())

    def start(self) -> ScoringStarted:
        """Switches scoring on (a client's start)."""
        self.running = True
        return self._made(ScoringStarted())

    def stop(self) -> ScoringStopped:
        """Switches scoring off (a client's stop); the visit's darts stay."""
        self.running = False
        return self._made(ScoringStopped())
