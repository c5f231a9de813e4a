"""Whether the board moves: a cheap per-frame measure (a quarter-scale grey picture of where the board is,
compared with the one before), and stillness over a few frames, which tells when a dart has come to rest
or a hand has gone."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import to_image
from desktop_receiver.calibration.result import CalibrationResult

SCALE = 4  # frames are measured at 1/SCALE of their size: a dart in flight still covers dozens of pixels
DELTA = 10  # grey levels (after a blur) that a pixel must change by: well above a camera's noise
MOVING_PX = 6  # changed pixels (at 1/SCALE) from which the picture moves: a dart's wobble, not a speck
# A hand or an arm, not a dart: the share of the board's region that moves at once.
HAND_SHARE = 0.04
# Still, but not settled: after a motion a video encoder keeps sharpening the picture for a few frames,
# and a frame compared then shows the whole board changed. Half scale, unblurred, this many grey levels,
# this share of the region.
FINE_DELTA = 8
SETTLING_SHARE = 0.004
REGION_MM = 250.0  # radius watched: the board and darts that stick out past it


def board_region(calibration: CalibrationResult) -> np.ndarray:
    """The uint8 mask (camera frame size) of where the board and the darts in it can be seen."""
    w, h = calibration.image_size
    ring = to_image(calibration.H, board.polar_to_board(REGION_MM, np.arange(0, 360, 3.0)), calibration.lens)
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round(ring).astype(np.int32)], 255)
    return region


@dataclass(frozen=True)
class Motion:
    """One frame's motion: the changed pixels against the previous frame and against the still picture
    (the first frame of the current still run), and their share of the watched region."""

    changed_px: int
    drift_px: int
    share: float
    fine_share: float = 0.0  # of the region, changed at half scale by FINE_DELTA

    @property
    def settling(self) -> bool:
        """Nothing moves, but the picture still changes in its details (the encoder refines it)."""
        return self.fine_share >= SETTLING_SHARE

    @property
    def moving(self) -> bool:
        """Something moves (or has moved since the picture was still)."""
        return self.changed_px >= MOVING_PX or self.drift_px >= MOVING_PX

    @property
    def hand(self) -> bool:
        """So much moves that it is a hand or an arm."""
        return self.share >= HAND_SHARE


class MotionMeter:
    """Measures frames one after another, watching ``region`` (uint8 mask of the full-size frame: where
    the board and darts in it can be seen)."""

    def __init__(self, region: np.ndarray) -> None:
        h, w = region.shape[:2]
        self._mask = cv2.resize(region, (w // SCALE, h // SCALE), interpolation=cv2.INTER_NEAREST) > 0
        self._fine_mask = cv2.resize(region, (w // 2, h // 2), interpolation=cv2.INTER_NEAREST)
        self._fine_area = max(cv2.countNonZero(self._fine_mask), 1)
        self._fine: np.ndarray | None = None
        self._area = max(int(self._mask.sum()), 1)
        self._previous: np.ndarray | None = None
        self._still: np.ndarray | None = None

    def measure(self, image: np.ndarray) -> Motion:
        """The motion of ``image`` (BGR, the region's size) since the previous frame measured."""
        h, w = self._fine_mask.shape
        fine = cv2.cvtColor(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        h, w = self._mask.shape
        small = cv2.GaussianBlur(cv2.resize(fine, (w, h), interpolation=cv2.INTER_AREA), (3, 3), 0)
        small = small.astype(np.int16)
        previous, self._previous = self._previous, small
        previous_fine, self._fine = self._fine, fine
        if previous is None or previous_fine is None:
            self._still = small
            return Motion(0, 0, 0.0)
        changed = int(np.count_nonzero((np.abs(small - previous) > DELTA) & self._mask))
        drift = int(np.count_nonzero((np.abs(small - self._still) > DELTA) & self._mask))
        # The light's flicker and the camera's exposure scale the whole picture: that is no detail changing.
        mask = self._fine_mask
        gain = cv2.mean(fine, mask)[0] / max(cv2.mean(previous_fine, mask)[0], 1.0)
        expected = cv2.convertScaleAbs(previous_fine, alpha=gain)  # whole grey levels, as the frames have
        detail = cv2.compare(cv2.absdiff(fine, expected), FINE_DELTA, cv2.CMP_GT)
        fine_px = cv2.countNonZero(cv2.bitwise_and(detail, mask))
        motion = Motion(changed, drift, changed / self._area, fine_px / self._fine_area)
        if motion.moving:
            self._still = small
        return motion
