"""Where the camera is, from a calibration: its centre in board coordinates (mm; the board plane is z = 0,
z into the wall, so the camera has z < 0).

A homography of a plane fixes the camera's pose once the intrinsics are known (H ~ K [r1 r2 t]). The
focal length is estimated from H itself, with the principal point at the lens centre and square pixels
(Zhang's two constraints on one view); a board seen face-on leaves it undetermined, and a phone's typical
field of view stands in.
"""

from __future__ import annotations

import numpy as np

from .lens import Lens

DEFAULT_FOCAL = 0.75  # focal length / image width: a phone's main camera (about 67° across)
FOCAL_RANGE = (0.3, 4.0)  # estimates outside this share of the width are not believed


def focal_length(h: np.ndarray, principal: tuple[float, float], width: int) -> float:
    """The focal length (px) that makes ``h`` (board mm -> ideal image px) a rotation and a translation."""
    shift = np.array([[1.0, 0, -principal[0]], [0, 1.0, -principal[1]], [0, 0, 1.0]])
    m = shift @ h
    m = m / np.linalg.norm(m[:, 0])
    (a11, a12), (a21, a22), (a31, a32) = m[0, :2], m[1, :2], m[2, :2]
    # h1' w h2 = 0 and h1' w h1 = h2' w h2 with w = diag(1/f^2, 1/f^2, 1): linear in 1/f^2.
    a = np.array([a11 * a12 + a21 * a22, a11**2 + a21**2 - a12**2 - a22**2])
    b = np.array([a31 * a32, a31**2 - a32**2])
    denom = float(a @ a)
    inv_f2 = -float(a @ b) / denom if denom > 0 else 0.0
    if inv_f2 > 0:
        f = 1.0 / np.sqrt(inv_f2)
        if FOCAL_RANGE[0] * width <= f <= FOCAL_RANGE[1] * width:
            return float(f)
    return DEFAULT_FOCAL * width


def camera_projection(h: np.ndarray, lens: Lens) -> np.ndarray:
    """The camera's 3x4 matrix (board mm x, y, z -> homogeneous ideal image px) for ``h`` (board mm ->
    ideal image px) and ``lens`` (its centre is taken as the principal point, its size as the image's):
    ``h`` with the board normal's column K r3 put back, scaled like ``h``'s columns."""
    width = lens.scale * 2 / np.hypot(16, 9) * 16  # from the half diagonal; only the scale matters
    f = focal_length(h, lens.centre, int(width))
    k = np.array([[f, 0, lens.centre[0]], [0, f, lens.centre[1]], [0, 0, 1.0]])
    m = np.linalg.inv(k) @ h
    scale = (np.linalg.norm(m[:, 0]) + np.linalg.norm(m[:, 1])) / 2
    r1, r2 = m[:, 0] / scale, m[:, 1] / scale
    if m[2, 2] < 0:  # the board is in front of the camera: t_z > 0
        r1, r2, scale = -r1, -r2, -scale
    r3 = np.cross(r1, r2)
    r3 /= np.linalg.norm(r3)
    return np.column_stack([h[:, 0], h[:, 1], scale * (k @ r3), h[:, 2]])


def camera_centre(h: np.ndarray, lens: Lens) -> np.ndarray:
    """The camera's centre (x, y, z) in board mm for ``h`` (board mm -> ideal image px) and ``lens``."""
    proj = camera_projection(h, lens)
    return -np.linalg.solve(proj[:, :3], proj[:, 3])
