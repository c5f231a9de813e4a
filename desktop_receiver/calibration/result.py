"""What a calibration returns: a result with the homography, or a failure with its reason."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import board
from .homography import to_image
from .lens import Lens


@dataclass(frozen=True)
class CalibrationResult:
    """A calibrated board.

    ``H`` maps board millimetres (PROTOCOL.md, "Board coordinates") to the ideal (undistorted) image in
    pixels (pixel centres at integer coordinates, as in OpenCV); ``H_inv`` maps back; ``lens`` is the
    camera's radial distortion between that ideal image and the observed one (``homography.to_image`` and
    ``to_board`` apply both). ``keypoints`` are observed image points of the bull and the DeepDarts
    calibration points ("5/20", "13/6", "17/3", "8/11"). ``error_px`` is the robust RMS of the edge
    residuals; ``error_mm`` estimates the position error on the board (up to r = 170 mm).
    ``guessed_orientation`` is set when the number ring could not be read and the 20 was assumed to be
    the segment closest to image-up; ``number_style`` says how the numbers that were read stand
    (numbers.STYLES; empty for a guess).
    """

    H: np.ndarray
    H_inv: np.ndarray
    keypoints: dict[str, tuple[float, float]]
    error_px: float
    error_mm: float
    confidence: float
    image_size: tuple[int, int]  # (w, h)
    ms: float
    lens: Lens | None = None  # None: no distortion
    guessed_orientation: bool = False
    number_style: str = ""
    created_at: float = field(default_factory=time.time)  # seconds since the epoch
    ok: bool = field(default=True, init=False)

    def to_json(self) -> dict:
        """The CLI's JSON object: H row-major (board mm -> ideal image px), the lens' ``distortion``."""
        return {
            "ok": True,
            "H": [float(v) for v in self.H.ravel()],
            "error_px": round(self.error_px, 4),
            "error_mm": round(self.error_mm, 4),
            "confidence": round(self.confidence, 4),
            "image_size": {"w": self.image_size[0], "h": self.image_size[1]},
            "keypoints": {k: [round(v[0], 3), round(v[1], 3)] for k, v in self.keypoints.items()},
            "distortion": self.lens_or_none().to_json(),
            "guessed_orientation": self.guessed_orientation,
            "number_style": self.number_style,
            "ms": round(self.ms, 2),
        }

    def lens_or_none(self) -> Lens:
        """The lens, or a distortion-free one for this image size."""
        return self.lens if self.lens is not None else Lens.none(*self.image_size)

    def to_cam_calibration(self) -> dict:
        """The ``cam-calibration`` payload of PROTOCOL.md: {H, imageSize, errorPx, createdAt (ms epoch)},
        plus ``errorMm``."""
        return {
            "H": [float(v) for v in self.H.ravel()],
            "imageSize": {"w": self.image_size[0], "h": self.image_size[1]},
            "errorPx": float(self.error_px),
            # Extension (peers ignore unknown fields): the error on the board, which a player understands.
            "errorMm": float(self.error_mm),
            # Extension: H maps to the undistorted image; this says how to get to the camera's pixels.
            "distortion": self.lens_or_none().to_json(),
            "createdAt": int(self.created_at * 1000),
        }


def homography_fields(h: np.ndarray, lens: Lens | None = None) -> dict[str, Any]:
    """A CalibrationResult's ``H``, ``H_inv`` (both scaled to a last element of 1), ``keypoints`` (observed
    image points of board.calibration_points()) and ``lens`` for the board -> ideal image homography
    ``h``."""
    h_inv = np.linalg.inv(h)
    names, points = zip(*board.calibration_points().items(), strict=True)
    image_points = to_image(h, np.array(points), lens)
    keypoints = {n: (float(x), float(y)) for n, (x, y) in zip(names, image_points, strict=True)}
    return {"H": h / h[2, 2], "H_inv": h_inv / h_inv[2, 2], "keypoints": keypoints, "lens": lens}


@dataclass(frozen=True)
class CalibrationFailure:
    """No usable homography: ``reason`` says why ("no board found", "board too small", ...)."""

    reason: str
    ms: float = 0.0
    ok: bool = field(default=False, init=False)

    def to_json(self) -> dict:
        """The CLI's JSON object for a failure."""
        return {"ok": False, "reason": self.reason}
