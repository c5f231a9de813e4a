"""Whether the board is as empty as it was: a coarse top-down picture of the board plane (1 px/mm) kept
from a still frame of the empty board. An empty board is flat, so that picture stays the same when the
camera moves and is recalibrated: it still tells when the darts have been pulled, and whether a change is
a dart gone (it fell out) rather than a new one."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import to_image
from desktop_receiver.calibration.result import CalibrationResult

RADIUS_MM = board.R_DOUBLE_OUTER + 40.0  # the scoring area and the surround a dart can stick in
DELTA = 28  # grey levels (after a blur and a brightness match) that count as a change
MAX_CHANGED_MM2 = 120.0  # less than any dart leaves in view, more than the wires' shimmer
GONE_RATIO = 2.0  # a change is a dart gone when this many times more of it became empty board than not


def remap_of(calibration: CalibrationResult) -> tuple[np.ndarray, np.ndarray]:
    """Camera px of each pixel of the 1 px/mm picture (x, y float32 maps)."""
    n = int(2 * RADIUS_MM)
    grid = np.arange(n, dtype=np.float64) + 0.5 - RADIUS_MM
    xx, yy = np.meshgrid(grid, grid)
    px = to_image(calibration.H, np.stack([xx, yy], axis=-1).reshape(-1, 2), calibration.lens).reshape(
        n, n, 2
    )
    return px[..., 0].astype(np.float32), px[..., 1].astype(np.float32)


def _disc(n: int) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n] + 0.5 - n / 2
    return np.hypot(xx, yy) <= RADIUS_MM


@dataclass(frozen=True)
class BoardPicture:
    """The board plane of one frame, grey, 1 px/mm, blurred."""

    grey: np.ndarray

    @classmethod
    def of(cls, image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> BoardPicture:
        """The picture of ``image`` (BGR camera frame) through ``maps`` (``remap_of`` of its calibration)."""
        view = cv2.remap(image, maps[0], maps[1], cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        return cls(cv2.GaussianBlur(cv2.cvtColor(view, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32))

    def changed_mm2(self, other: BoardPicture) -> float:
        """The board area (mm²) that differs between the two pictures, after matching their brightness."""
        return float(np.count_nonzero(self._differs(other)))

    def _differs(self, other: BoardPicture) -> np.ndarray:
        """Where on the board (bool, this picture's size) ``other`` differs, after matching brightness."""
        disc = _disc(self.grey.shape[0])
        gain = float(self.grey[disc].mean()) / max(float(other.grey[disc].mean()), 1.0)
        diff = np.abs(self.grey - gain * other.grey) > DELTA
        diff = cv2.morphologyEx(diff.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
        return diff & disc

    def went_back(self, before: BoardPicture, after: BoardPicture) -> bool:
        """Whether what changed from ``before`` to ``after`` went back to look like this picture (the empty
        board) rather than away from it: a dart that fell out or was pulled, not a new one."""
        changed = before._differs(after)
        was_off, is_off = self._differs(before), self._differs(after)
        gone = np.count_nonzero(changed & was_off & ~is_off)
        came = np.count_nonzero(changed & is_off & ~was_off)
        return gone > GONE_RATIO * came

    def matches(self, other: BoardPicture) -> bool:
        """The two show the same board: nothing dart-sized differs."""
        return self.changed_mm2(other) <= MAX_CHANGED_MM2
