"""The camera's radial lens distortion: a one-parameter division model with its own centre.

A homography maps the board plane to an ideal (pinhole) image; a real lens, above all a wide-angle webcam
close to the board, bends that image radially about a distortion centre. The division model (Fitzgibbon,
2001) writes the ideal point of an observed one in closed form,

    ideal = c + (observed - c) / (1 + k * rho^2),   rho = |observed - c| / scale,

and its inverse is closed-form too (a quadratic in rho). ``scale`` (half the image diagonal) keeps ``k``
dimensionless: about -0.05 for a phone's main camera, -0.2 to -0.4 for a wide-angle webcam (barrel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Lens:
    """Radial distortion about ``centre`` (px); ``k`` = 0 is a distortion-free (pinhole) camera."""

    centre: tuple[float, float]
    scale: float  # px: half the image diagonal
    k: float = 0.0

    @classmethod
    def none(cls, width: int, height: int) -> Lens:
        """No distortion, centred on an image of ``width`` x ``height``."""
        return cls(((width - 1) / 2.0, (height - 1) / 2.0), float(np.hypot(width, height)) / 2.0, 0.0)

    @property
    def is_identity(self) -> bool:
        """True when the model changes nothing."""
        return self.k == 0.0

    def undistort(self, pts: np.ndarray) -> np.ndarray:
        """Ideal (pinhole) image points of observed points (..., 2)."""
        pts = np.asarray(pts, dtype=np.float64)
        if self.is_identity:
            return pts
        d = pts - self.centre
        rho2 = np.sum(d * d, axis=-1, keepdims=True) / self.scale**2
        return self.centre + d / (1.0 + self.k * rho2)

    def distort(self, pts: np.ndarray) -> np.ndarray:
        """Observed image points of ideal points (..., 2): the inverse of ``undistort``.

        With u = |ideal - c| / scale and rho the observed radius, rho / (1 + k rho^2) = u, so
        k u rho^2 - rho + u = 0 and rho = 2u / (1 + sqrt(1 - 4 k u^2)) (the root that tends to u as k -> 0;
        clipped where a strong barrel has no preimage, beyond the image's corners).
        """
        pts = np.asarray(pts, dtype=np.float64)
        if self.is_identity:
            return pts
        d = pts - self.centre
        u = np.sqrt(np.sum(d * d, axis=-1, keepdims=True)) / self.scale
        disc = np.maximum(1.0 - 4.0 * self.k * u * u, 0.0)
        return self.centre + d * (2.0 / (1.0 + np.sqrt(disc)))

    def to_json(self) -> dict:
        """The ``distortion`` object of the calibration's JSON."""
        return {
            "model": "division",
            "centre": [round(float(self.centre[0]), 3), round(float(self.centre[1]), 3)],
            "scale": round(float(self.scale), 3),
            "k": round(float(self.k), 6),
        }

    @classmethod
    def from_json(cls, data: dict) -> Lens:
        """The inverse of ``to_json`` (raises ValueError on a malformed object)."""
        try:
            if data.get("model", "division") != "division":
                raise ValueError(f"unknown distortion model {data.get('model')!r}")
            cx, cy = (float(v) for v in data["centre"])
            lens = cls((cx, cy), float(data["scale"]), float(data["k"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed distortion object: {exc}") from exc
        if not (np.isfinite([cx, cy, lens.scale, lens.k]).all() and lens.scale > 0):
            raise ValueError("distortion values must be finite, with a positive scale")
        return lens
