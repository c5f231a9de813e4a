"""What a calibration returns: a result with the homography, or a failure with its reason."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import board
from .homography import project


@dataclass(frozen=True)
class CalibrationResult:
    """A calibrated board.

    ``H`` maps board millimetres (PROTOCOL.md, "Board coordinates") to image pixels (pixel centres at
    integer coordinates, as in OpenCV); ``H_inv`` maps back. ``keypoints`` are image points of the bull and
    the DeepDarts calibration points ("5/20", "13/6", "17/3", "8/11"). ``error_px`` is the robust RMS of
    the edge residuals; ``error_mm`` estimates the position error on the board (up to r = 170 mm).
    """

    H: np.ndarray
    H_inv: np.ndarray
    keypoints: dict[str, tuple[float, float]]
    error_px: float
    error_mm: float
    confidence: float
    image_size: tuple[int, int]  # (w, h)
    ms: float
    created_at: float = field(default_factory=time.time)  # seconds since the epoch
    ok: bool = field(default=True, init=False)

    def to_json(self) -> dict:
        """The CLI's JSON object (issue 4): H row-major, board mm -> image px."""
        return {
            "ok": True,
            "H": [float(v) for v in self.H.ravel()],
            "error_px": round(self.error_px, 4),
            "error_mm": round(self.error_mm, 4),
            "confidence": round(self.confidence, 4),
            "image_size": {"w": self.image_size[0], "h": self.image_size[1]},
            "keypoints": {k: [round(v[0], 3), round(v[1], 3)] for k, v in self.keypoints.items()},
            "ms": round(self.ms, 2),
        }

    def to_cam_calibration(self) -> dict:
        """The ``cam-calibration`` payload of PROTOCOL.md: {H, imageSize, errorPx, createdAt (ms epoch)},
        plus ``errorMm``."""
        return {
            "H": [float(v) for v in self.H.ravel()],
            "imageSize": {"w": self.image_size[0], "h": self.image_size[1]},
            "errorPx": float(self.error_px),
            # Extension (peers ignore unknown fields): the error on the board, which a player understands.
            "errorMm": float(self.error_mm),
            "createdAt": int(self.created_at * 1000),
        }


def homography_fields(h: np.ndarray) -> dict[str, Any]:
    """A CalibrationResult's ``H``, ``H_inv`` (both scaled to a last element of 1) and ``keypoints`` (image
    points of board.calibration_points()) for the board -> image homography ``h``."""
    h_inv = np.linalg.inv(h)
    names, points = zip(*board.calibration_points().items(), strict=True)
    keypoints = {
        n: (float(x), float(y)) for n, (x, y) in zip(names, project(h, np.array(points)), strict=True)
    }
    return {"H": h / h[2, 2], "H_inv": h_inv / h_inv[2, 2], "keypoints": keypoints}


@dataclass(frozen=True)
class CalibrationFailure:
    """No usable homography: ``reason`` says why ("no board found", "board too small", ...)."""

    reason: str
    ms: float = 0.0
    ok: bool = field(default=False, init=False)

    def to_json(self) -> dict:
        """The CLI's JSON object for a failure."""
        return {"ok": False, "reason": self.reason}
