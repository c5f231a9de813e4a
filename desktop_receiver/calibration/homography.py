"""Small homography and image-sampling helpers shared by the calibration modules."""

from __future__ import annotations

import cv2
import numpy as np

from . import board
from .lens import Lens


def project(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Apply homography ``h`` to points (..., 2)."""
    pts = np.asarray(pts, dtype=np.float64)
    q = pts @ h[:, :2].T + h[:, 2]
    return q[..., :2] / q[..., 2:3]


def to_image(h: np.ndarray, pts: np.ndarray, lens: Lens | None = None) -> np.ndarray:
    """Observed image points (..., 2) of board points: through ``h`` to the ideal image, then the lens."""
    ideal = project(h, pts)
    return ideal if lens is None else lens.distort(ideal)


def to_board(h_inv: np.ndarray, pts: np.ndarray, lens: Lens | None = None) -> np.ndarray:
    """Board points (..., 2) of observed image points: the inverse of ``to_image`` (``h_inv`` = H^-1)."""
    return project(h_inv, pts if lens is None else lens.undistort(pts))


def board_error_mm(h_est: np.ndarray, h_true: np.ndarray, radius: float = board.R_DOUBLE_OUTER) -> np.ndarray:
    """Distances (mm, on the board plane) between where two homographies put board points up to ``radius``
    (by default the scoring area's edge, the outer double wire).

    Points of the board are mapped to the image by ``h_est`` and back by ``h_true``'s inverse.
    """
    r = np.linspace(0, radius, 18)
    pts = board.polar_to_board(r[:, None], np.arange(0, 360, 10.0)[None, :]).reshape(-1, 2)
    back = project(np.linalg.inv(h_true), project(h_est, pts))
    return np.linalg.norm(back - pts, axis=1)


def sample(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear image values at points (..., 2): shape (..., channels) as float32 (edges replicated)."""
    pts = np.asarray(pts, dtype=np.float32)
    flat = pts.reshape(-1, 2)
    # remap wants maps under 32767 rows and columns: lay the points out as rows of 256.
    n = len(flat)
    grid = np.zeros((-(-n // 256) * 256, 2), np.float32)
    grid[:n] = flat
    grid = grid.reshape(-1, 256, 2)
    vals = cv2.remap(image, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    channels = 1 if vals.ndim == 2 else vals.shape[-1]
    return vals.reshape(-1, channels)[:n].reshape(*pts.shape[:-1], channels).astype(np.float32)
