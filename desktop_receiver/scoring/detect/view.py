"""The board seen from the front: a calibration's remap from the camera image to a top-down picture of the
board plane at a fixed scale, so that frames taken before and after a small camera move compare pixel for
pixel, and a pixel of that picture is a board position in mm.

A dart's tip lies on the board plane, so it lands where it is in board mm; the rest of the dart stands out
of the plane and is smeared along the camera's rays, away from the camera (see tip.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import to_board, to_image
from desktop_receiver.calibration.result import CalibrationResult

PX_PER_MM = 2.5  # finer than a 720p frame sees a board (1-2 px/mm): the view loses nothing
EXTENT_MM = 250.0  # half the view's side: the board with room for flights that stick out past it


@dataclass(frozen=True)
class BoardView:
    """The top-down view of one calibration (immutable; build a new one when the calibration changes)."""

    calibration: CalibrationResult
    map1: np.ndarray  # cv2.remap maps (fixed point) from view px to camera px
    map2: np.ndarray
    inside: np.ndarray  # uint8 mask of view px that the camera sees (inside the frame)
    roi: np.ndarray  # uint8 mask, camera image size: where the board and the darts in it can be seen

    @property
    def size(self) -> int:
        """Side of the square view in px."""
        return int(self.map1.shape[0])

    @classmethod
    def of(cls, calibration: CalibrationResult) -> BoardView:
        """The view of ``calibration``'s board (builds the remap; a few ms)."""
        n = int(round(2 * EXTENT_MM * PX_PER_MM))
        grid = (np.arange(n, dtype=np.float64) + 0.5) / PX_PER_MM - EXTENT_MM
        xx, yy = np.meshgrid(grid, grid)
        board_pts = np.stack([xx, yy], axis=-1)
        image_pts = to_image(calibration.H, board_pts.reshape(-1, 2), calibration.lens).reshape(n, n, 2)
        w, h = calibration.image_size
        inside = ((image_pts[..., 0] >= 0) & (image_pts[..., 0] <= w - 1) & (image_pts[..., 1] >= 0)) & (
            image_pts[..., 1] <= h - 1
        )
        maps = image_pts.astype(np.float32)
        map1, map2 = cv2.convertMaps(maps[..., 0], maps[..., 1], cv2.CV_16SC2)
        roi = np.zeros((h, w), np.uint8)
        ring = to_image(
            calibration.H, board.polar_to_board(EXTENT_MM, np.arange(0, 360, 3.0)), calibration.lens
        )
        cv2.fillPoly(roi, [np.round(ring).astype(np.int32)], 255)
        return cls(calibration, map1, map2, inside.astype(np.uint8) * 255, roi)

    def rectify(self, image: np.ndarray) -> np.ndarray:
        """The top-down view of a camera frame (same dtype and channels)."""
        return cv2.remap(image, self.map1, self.map2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def to_mm(self, pts: np.ndarray) -> np.ndarray:
        """Board mm of view px (..., 2) (x right, y down, as the board coordinates)."""
        return (np.asarray(pts, dtype=np.float64) + 0.5) / PX_PER_MM - EXTENT_MM

    def to_view(self, mm: np.ndarray) -> np.ndarray:
        """View px of board mm (..., 2)."""
        return (np.asarray(mm, dtype=np.float64) + EXTENT_MM) * PX_PER_MM - 0.5

    def image_px(self, mm: np.ndarray) -> np.ndarray:
        """Camera px (observed, through the lens) of board mm (..., 2)."""
        return to_image(self.calibration.H, np.asarray(mm, dtype=np.float64), self.calibration.lens)

    def board_mm(self, px: np.ndarray) -> np.ndarray:
        """Board mm of camera px (..., 2)."""
        return to_board(self.calibration.H_inv, np.asarray(px, dtype=np.float64), self.calibration.lens)
