"""Throws in the video: a state machine over the frames of one calibrated camera.

It keeps a reference picture of the still board. When something moves and then the scene is still again
(STILL_FRAMES in a row), the still frames are averaged and compared with the reference (analysis.py): a new
dart is a throw; nothing is a hand that passed or a dart that bounced out; a change with no hand that is no
single dart while darts are in is a throw that knocked an earlier dart (analysis.analyse_knock: the new dart
is the one whose point is not an earlier dart's; with none, a dart at an earlier one's point landed beside
it); anything else (a hand that pulled darts) becomes the new reference, and when the board is as empty as it
was at the start of the visit (empty.py), the takeout is over. A change where the empty board shows again is a
dart gone, not a new one: with no hand near since the last dart came, it fell out. Big motion (a hand) while
darts are in the board is reported too: with three darts in, it is the takeout starting. What that means for
the visit is decided on the event loop (scoring/watcher.py); this module only looks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.calibration.tracker import board_shift_px
from desktop_receiver.scoring.detect.analysis import (
    KNOCK_CONFIDENCE,
    KNOCK_MM,
    MAX_DART_MM2,
    Analysis,
    analyse,
    analyse_knock,
    near_any,
)
from desktop_receiver.scoring.detect.change import most_covered
from desktop_receiver.scoring.detect.empty import BoardPicture, remap_of
from desktop_receiver.scoring.detect.geometry import Geometry
from desktop_receiver.scoring.detect.motion import Motion, MotionMeter, board_region

log = logging.getLogger(__name__)
STILL_FRAMES = 3  # still frames in a row that end a motion; averaged, they hide the camera's noise
# The calibration moved this far (px) from the one the reference was taken with: take a new reference.
MOVED_PX = 1.5
REFRESH_FRAMES = 30  # a still scene becomes the reference again after this many frames (1 s at 30 fps)
# A hand took the darts that left the board (a takeout), rather than they fell out, when since the last dart
# came it moved in this many frames or sat in view (a still change bigger than a dart's). A falling dart
# moves as much as a hand in a frame or two at most; a hand reaching in and out in ten or more at 15 to
# 30 fps, fewer at a steep view (where it covers less of the board's region), and it stays to pull.
HAND_FRAMES = 3


@dataclass(frozen=True)
class Observation:
    """What the detector saw: ``kind`` is "dart" (a new dart, ``analysis`` says where), "hand" (big
    motion began), "empty" (a hand left the board empty again), "fell-out" (a dart left the board with
    no hand near: it fell out) or "changed" (something else changed for good).
    ``before`` and ``after`` are the reference and the averaged still frames (for a dump)."""

    kind: str
    frames: tuple[int, ...]
    analysis: Analysis | None = None
    before: np.ndarray | None = None
    after: np.ndarray | None = None


@dataclass
class _Still:
    """The frames of the current still run."""

    indices: list[int] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)

    def add(self, index: int, image: np.ndarray) -> None:
        self.indices.append(index)
        self.images.append(image)
        del self.indices[:-STILL_FRAMES], self.images[:-STILL_FRAMES]

    def average(self) -> np.ndarray:
        return np.mean(np.stack(self.images), axis=0).round().astype(np.uint8)

    def clear(self) -> None:
        self.indices.clear()
        self.images.clear()


class ThrowDetector:
    """Feed it every frame (one thread); it returns what it saw. Not thread-safe."""

    def __init__(self) -> None:
        self._calibration: CalibrationResult | None = None
        self._cache: Geometry | None = None  # analyse's per-calibration state
        self._maps: tuple[np.ndarray, np.ndarray] | None = None
        self._meter: MotionMeter | None = None
        self._reference: np.ndarray | None = None
        self._empty: BoardPicture | None = None
        self._still = _Still()
        self._reference_index = 0  # the frame the reference was taken at
        self._moved = False  # something moved since the reference was taken
        self._hand = False  # a hand was reported in this motion
        self._hand_frames = 0  # frames in which a hand moved, since the last dart came or went
        self._hand_stayed = False  # a change too big for a dart was seen still, since then
        self._tips: list[tuple[float, float]] = []  # board mm of the darts seen come, till the board is empty

    @property
    def settled(self) -> bool:
        """A reference is taken and nothing moves."""
        return self._reference is not None and not self._moved

    def feed(self, image: np.ndarray, index: int, calibration: CalibrationResult | None) -> list[Observation]:
        """One frame (BGR, its index) and the calibration in use for it (None: lost)."""
        if calibration is None or calibration.image_size != (image.shape[1], image.shape[0]):
            self._meter = None
            self._still.clear()
            return []
        self._follow(calibration)
        assert self._meter is not None
        motion = self._meter.measure(image)
        if motion.moving:
            return self._on_motion(motion, index)
        if motion.settling:
            self._still.clear()
            return []
        self._still.add(index, image)
        if len(self._still.indices) < STILL_FRAMES:
            return []
        if self._reference is None:
            return self._take_reference()
        if not self._moved:
            self._refresh(index)
            return []
        self._moved = self._hand = False
        return self._settle()

    def _follow(self, calibration: CalibrationResult) -> None:
        """Rebuilds what depends on the calibration when the board moved in the image."""
        if self._calibration is not None and board_shift_px(self._calibration, calibration) < MOVED_PX:
            return
        if self._calibration is not None:
            log.info("the board moved in the image: a new reference is taken")
        self._calibration, self._cache = calibration, Geometry.of(calibration)
        self._maps = remap_of(calibration)
        self._meter = MotionMeter(board_region(calibration))
        self._reference = None
        self._moved = self._hand = self._hand_stayed = False
        self._hand_frames = 0
        self._still.clear()

    def _on_motion(self, motion: Motion, index: int) -> list[Observation]:
        self._still.clear()
        if self._reference is None:
            return []
        self._moved = True
        self._hand_frames += motion.hand
        if motion.hand and not self._hand:
            self._hand = True
            return [Observation("hand", (index,))]
        return []

    def _refresh(self, index: int) -> None:
        """A still scene that stays still replaces the reference now and then: the picture of a video
        stream sharpens after the encoder's start or a motion, and the light drifts; a dart always comes
        with motion, so nothing new is hidden in it. The empty board's picture follows the light too, but
        only while no dart is in: a dart that leaves little in that coarse picture (a grey one seen steeply)
        would become part of the "empty" board, and the board emptied by the takeout would no longer match."""
        if index - self._reference_index < REFRESH_FRAMES:
            return
        self._reference, self._reference_index = self._still.average(), index
        assert self._empty is not None
        picture = self._picture(self._reference)
        if not self._tips and picture.matches(self._empty):
            self._empty = picture

    def _take_reference(self) -> list[Observation]:
        """The first still scene (or the first after the camera moved) becomes the reference; it may
        show that the board is empty again (the darts were pulled while the camera moved)."""
        self._reference, self._reference_index = self._still.average(), self._still.indices[-1]
        picture = self._picture(self._reference)
        if self._empty is None:
            self._empty = picture
            return []
        if picture.matches(self._empty):
            self._empty = picture
            return [Observation("empty", tuple(self._still.indices))]
        return []

    def _picture(self, image: np.ndarray) -> BoardPicture:
        assert self._maps is not None
        return BoardPicture.of(image, self._maps)

    def _settle(self) -> list[Observation]:
        """The scene is still again after a motion: what changed."""
        assert self._calibration is not None and self._reference is not None and self._empty is not None
        before, after = self._reference, self._still.average()
        frames = tuple(self._still.indices)
        result = analyse(self._calibration, before, after, self._cache)
        log.info("still again at frame %d: %s, %.0f mm² changed", frames[-1], result.kind, result.changed_mm2)
        if result.kind == "nothing":
            return []
        self._reference, self._reference_index = after, frames[-1]
        picture = self._picture(after)
        # Darts pulled out look like a change too: the empty board decides first, and a change where the
        # empty board shows again is a dart gone; but only once a dart is in. Seen face-on, a first dart
        # stands end-on and covers too little of the board plane to tell the board from an empty one.
        first = result.kind == "dart" and not self._tips
        empty = not first and picture.matches(self._empty)
        gone = not (empty or first) and self._empty.went_back(self._picture(before), picture)
        hand = self._hand_stayed or self._hand_frames >= HAND_FRAMES
        if (empty or gone) and not hand and self._tips and self._covered_dart(result) is None:
            # A dart falls out from where it stuck, so a change off every earlier dart's point is a new
            # dart whose colours are close to the board's (a grey dart seen steeply: the coarse picture
            # missed it).
            empty = gone = False
        if not (hand or empty or gone) and self._knocked(result):
            knock = analyse_knock(self._calibration, before, after, self._tips, self._cache)
            # With no other dart in the change, a dart at an earlier one's point landed beside it.
            close = result.kind == "dart" and knock.kind != "dart"
            result = replace(result, confidence=min(result.confidence, KNOCK_CONFIDENCE)) if close else knock
        self._hand_stayed |= result.kind != "dart" and result.changed_mm2 > MAX_DART_MM2
        hand = self._hand_stayed or self._hand_frames >= HAND_FRAMES

        def seen(kind: str) -> list[Observation]:
            if kind != "changed":
                self._hand_frames, self._hand_stayed = 0, False
            if kind == "dart":
                assert result.tip_mm is not None
                self._tips.append(result.tip_mm)
            elif kind == "empty":
                self._tips.clear()
            elif kind == "fell-out":
                gone = self._covered_dart(result)
                self._tips = [t for i, t in enumerate(self._tips) if i != gone]
            return [Observation(kind, frames, result, before, after)]

        if empty:  # without a hand, the darts fell out
            self._empty = picture  # the board as it is lit now
            return seen("empty" if hand else "fell-out")
        if result.kind == "dart" and gone:
            return seen("changed" if hand else "fell-out")  # a dart's shape, but a dart gone
        return seen(result.kind if result.kind == "dart" else "changed")

    def _covered_dart(self, result: Analysis) -> int | None:
        """The index (into the darts in) of the dart whose point the change covers most; None: none."""
        assert self._cache is not None
        points = self._cache.to_image(np.array(self._tips, np.float64).reshape(-1, 2))
        return most_covered(result.mask, points.tolist())

    def _knocked(self, result: Analysis) -> bool:
        """Whether a change that came with no hand may be a throw that knocked an earlier dart: no single
        dart's streak, or a "new" dart at an earlier one's point, while one or two darts are in."""
        if not 0 < len(self._tips) < 3 or result.kind == "nothing":
            return False
        return result.kind == "other" or (
            result.tip_mm is not None and near_any(result.tip_mm, self._tips, KNOCK_MM)
        )
