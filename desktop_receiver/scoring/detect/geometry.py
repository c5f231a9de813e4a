"""What a calibration tells the detector once (Geometry, the per-calibration cache of analysis.analyse):
the camera's 3x4 matrix, the image region where the board and the darts in it can be seen, and the image
direction in which a dart stuck at a board point runs from its tip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import to_board, to_image
from desktop_receiver.calibration.pose import camera_projection
from desktop_receiver.calibration.result import CalibrationResult

ROI_RADIUS_MM = 230.0  # the board and the flights that stick out past its scoring area
LEAN_DEG = 15.0  # a stuck dart's usual lean from the board's normal, its rear up (a thrown dart's arc)
AXIS_MM = 20.0  # a short piece of the dart's axis: long enough to measure, short enough to stay local


@dataclass(frozen=True)
class Geometry:
    """The detector's view of one calibration (immutable; build a new one when the calibration changes)."""

    calibration: CalibrationResult
    projection: np.ndarray  # 3x4: board mm (x, y, z; z into the wall) -> homogeneous ideal image px
    roi: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) of the image crop that holds the board

    @classmethod
    def of(cls, calibration: CalibrationResult) -> Geometry:
        """The geometry of ``calibration`` (a fraction of a millisecond)."""
        lens = calibration.lens_or_none()
        proj = camera_projection(calibration.H, lens)
        ring = to_image(calibration.H, board.polar_to_board(ROI_RADIUS_MM, np.arange(0, 360, 5.0)), lens)
        w, h = calibration.image_size
        lo = np.clip(np.floor(ring.min(axis=0)), 0, [w, h]).astype(int)
        hi = np.clip(np.ceil(ring.max(axis=0)) + 1, 0, [w, h]).astype(int)
        return cls(calibration, proj, (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])))

    def to_board(self, px: np.ndarray) -> np.ndarray:
        """Board mm of observed image px (..., 2)."""
        c = self.calibration
        return to_board(c.H_inv, np.asarray(px, dtype=np.float64), c.lens)

    def to_image(self, mm: np.ndarray) -> np.ndarray:
        """Observed image px of board mm (..., 2)."""
        c = self.calibration
        return to_image(c.H, np.asarray(mm, dtype=np.float64), c.lens)

    def px_per_mm(self, mm: np.ndarray) -> float:
        """Image px per board mm about the board point ``mm`` (geometric mean of the two axes)."""
        a = self.to_image(np.array([mm, mm + [1.0, 0.0], mm + [0.0, 1.0]], dtype=np.float64))
        (ux, uy), (vx, vy) = a[1] - a[0], a[2] - a[0]
        return float(np.sqrt(abs(ux * vy - uy * vx)))

    def dart_direction(self, tip_mm: np.ndarray) -> np.ndarray:
        """Unit image direction from the tip of a dart stuck at ``tip_mm`` towards its flight, for a dart
        leaning LEAN_DEG up (observed px; the lens bends it a little, which the nearby points include)."""
        lean = np.radians(LEAN_DEG)
        d = self._axis_px(tip_mm, np.array([0.0, -np.sin(lean), -np.cos(lean)]))
        return d / max(float(np.linalg.norm(d)), 1e-9)

    def slant(self, tip_mm: np.ndarray) -> float:
        """How far a dart standing straight out of the board at ``tip_mm`` runs in the image, per unit of
        the board's own scale there: about the tangent of the angle between the camera's ray and the board's
        normal. Near 0 the camera looks along the dart, and its image direction is the dart's own lean
        (which varies from throw to throw), not something the pose can tell."""
        d = self._axis_px(tip_mm, np.array([0.0, 0.0, -1.0]))
        return float(np.linalg.norm(d)) / (AXIS_MM * self.px_per_mm(np.asarray(tip_mm, np.float64)))

    def _axis_px(self, tip_mm: np.ndarray, axis: np.ndarray) -> np.ndarray:
        """The image vector (observed px) from a dart's tip at ``tip_mm`` to AXIS_MM along ``axis`` (board
        mm, z out of the wall negative)."""
        pts = np.array([[*tip_mm, 0.0, 1.0], [*(np.append(tip_mm, 0.0) + AXIS_MM * axis), 1.0]])
        hom = pts @ self.projection.T
        ideal = hom[:, :2] / hom[:, 2:3]
        seen = self.calibration.lens_or_none().distort(ideal)
        return seen[1] - seen[0]
