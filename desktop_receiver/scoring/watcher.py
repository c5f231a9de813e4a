"""Throw detection in the agent: a frame consumer (its own thread) runs the detector on every frame with
the calibration in use, and hands what it saw to the event loop, where `apply` turns it into the visit's
changes (a dart scored, the takeout started or finished), so the visit stays on one thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.media import stamp
from desktop_receiver.media.frames import Frame
from desktop_receiver.scoring.detect.change import most_covered
from desktop_receiver.scoring.detect.detector import Observation, ThrowDetector
from desktop_receiver.scoring.model import MAX_DARTS, Throw
from desktop_receiver.scoring.stream import ScoreKeeper
from desktop_receiver.scoring.throw_dump import ThrowDump
from desktop_receiver.scoring.visit import Phase

log = logging.getLogger(__name__)


class ThrowWatcher:
    """A FrameConsumer handler. ``calibration()`` gives the calibration in use (None: lost);
    ``deliver(observation)`` is called in the consumer's thread (it must hand over to the loop)."""

    def __init__(
        self,
        calibration: Callable[[], CalibrationResult | None],
        deliver: Callable[[Observation], None],
        dump: ThrowDump | None = None,
    ) -> None:
        self._calibration = calibration
        self._deliver = deliver
        self._dump = dump
        self._detector = ThrowDetector()

    def __call__(self, frame: Frame) -> None:
        """Looks at one frame."""
        # A simulated phone's frames carry a stamp band, which changes in every frame.
        image = frame.image if frame.meta.seq is None else stamp.covered(frame.image)
        calibration = self._calibration()
        for observation in self._detector.feed(image, frame.meta.index, calibration):
            if self._dump is not None and calibration is not None:
                self._dump.write(observation, calibration)
            self._deliver(observation)


def apply(keeper: ScoreKeeper, observation: Observation) -> None:
    """What an observation means for the visit (on the event loop)."""
    visit = keeper.visit
    if observation.kind == "dart":
        seen = observation.analysis
        takes_darts = visit.running and not visit.paused and visit.phase is Phase.THROW
        if seen is None or not takes_darts or len(visit.throws) >= MAX_DARTS:
            log.info("a dart was seen when none is expected (%s): not scored", visit.phase.value)
            return
        keeper.throw(seen.tip_mm, image_px=seen.tip_px, confidence=seen.confidence, frames=observation.frames)
    elif observation.kind == "hand":
        # Three darts in: the hand comes to pull them. With fewer, it may be a hand passing.
        if visit.phase is Phase.TAKEOUT:
            keeper.takeout_started()
    elif observation.kind == "empty" and (visit.throws or visit.phase is not Phase.THROW):
        if visit.phase is not Phase.TAKEOUT_IN_PROGRESS:
            keeper.takeout_started()
        keeper.takeout_finished()
    elif observation.kind == "fell-out" and visit.phase is not Phase.TAKEOUT_IN_PROGRESS:
        fallen = fallen_dart(visit.throws, observation)
        if fallen is not None:
            # A dart that falls out of the board before it is pulled does not score (steel darts' rules).
            log.info("dart %d fell out: it scores nothing", fallen)
            keeper.correct(fallen, None)


def fallen_dart(throws: Sequence[Throw], observation: Observation) -> int | None:
    """The number of the visit's dart whose tip lies in what left the board (``observation``'s change
    mask), most of the mask about it; None when no scored dart's tip is there."""
    if observation.analysis is None:
        return None
    placed = [(t.dart, t.image_px) for t in throws if t.image_px is not None and t.board_mm is not None]
    k = most_covered(observation.analysis.mask, [px for _, px in placed])
    return None if k is None else placed[k][0]
