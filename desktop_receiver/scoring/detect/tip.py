"""Where a dart enters the board, from the region it changed in the top-down view.

In the top-down view (view.py) the dart's point is where it is on the board, and everything else of the
dart stands out of the plane and is smeared away from it along the camera's rays: the dart is a streak
that is thin at the point and widens through the barrel to the flight. So the streak's thin end is the
tip; its axis is fitted on the point and barrel (the flight's wings need not be centred), and the tip is
found along that axis where the change fades, on a lower threshold than the region's, since the steel
point is thin and low in contrast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration.homography import sample
from desktop_receiver.scoring.detect.change import Blob, Change
from desktop_receiver.scoring.detect.view import PX_PER_MM

MIN_LENGTH_MM = 20.0  # shorter streaks are no dart
LEAN_DEG = 15.0  # a stuck dart's usual lean, its flight up: a thrown dart comes down an arc
CONE_DEG = 70.0  # how far the axis may turn from the predicted streak (the lean varies)
ANGLE_STEP_DEG = 2.0
AXIS_BAND_MM = 7.0  # a barrel's width, and some
MAX_LENGTH_MM = 260.0
FRONT = 0.4  # share of the streak (from the tip) that the axis is fitted on
STEP_PX = 0.5  # along the axis, when the tip is looked for
HALF_WIDTH_PX = 4  # across the axis (1.6 mm each side): the point is about 2 mm thick
MAX_GAP_MM = 1.2  # a fainter stretch of the point this long does not end it
FADE = 0.5  # the point ends where the change falls below this share of the region's threshold


@dataclass(frozen=True)
class DartFix:
    """A dart located in the view: ``tip`` (view px) and ``axis`` (unit, from the tip towards the flight)."""

    tip: tuple[float, float]
    axis: tuple[float, float]
    length_mm: float
    support: float  # share of the dart's changed pixels on its axis line
    pixels: int


def streak_direction(at_mm: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """The unit direction (view, = board mm axes) in which a dart stuck at ``at_mm`` runs from its tip in
    the view, for a camera centred at ``camera`` (board mm, z < 0) and a dart leaning LEAN_DEG up.

    A point h above the board at T + h a (a: the dart's axis) is seen where the camera's ray through it
    meets the board, T + (lambda - 1)(T - F) + lambda h a_xy, F the camera's foot and lambda about
    1 + h a_z / z_camera: the streak runs away from the camera's foot and along the dart's lean."""
    lean = np.radians(LEAN_DEG)
    along = (at_mm - camera[:2]) * np.cos(lean) / max(abs(float(camera[2])), 1.0)
    d = along + np.array([0.0, -np.sin(lean)])
    return d / max(float(np.linalg.norm(d)), 1e-9)


def locate(change: Change, blobs: Sequence[Blob], view_to_mm, camera: np.ndarray) -> DartFix | None:
    """The dart whose change is ``blobs`` (one dart's parts), or None when they are no dart's shape.
    ``view_to_mm`` maps view px to board mm (BoardView.to_mm); ``camera`` is the camera's centre."""
    xs = np.concatenate([b.xs for b in blobs]).astype(np.float64)
    ys = np.concatenate([b.ys for b in blobs]).astype(np.float64)
    pts = np.column_stack([xs, ys])
    if len(pts) < 10:
        return None
    centre = pts.mean(axis=0)
    d = streak_direction(view_to_mm(centre), camera)
    direction, offset, support = _axis_line(pts - centre, d)
    normal = np.array([-direction[1], direction[0]])
    on_line = np.abs((pts - centre) @ normal - offset) <= AXIS_BAND_MM * PX_PER_MM / 2
    s = (pts[on_line] - centre) @ direction
    length = float(s.max() - s.min())
    if not MIN_LENGTH_MM * PX_PER_MM <= length <= MAX_LENGTH_MM * PX_PER_MM:
        return None
    front = pts[on_line][s <= s.min() + FRONT * length]
    if len(front) >= 5:
        line = cv2.fitLine(front.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        v, start = np.array(line[:2], np.float64), np.array(line[2:], np.float64)
        if v @ direction < 0:
            v = -v
    else:
        v, start = direction, front.mean(axis=0) if len(front) else centre
    tip = _fade_point(change, start, v, threshold=FADE * change.threshold)
    return DartFix(
        (float(tip[0]), float(tip[1])), (float(v[0]), float(v[1])), length / PX_PER_MM, support, len(pts)
    )


def _axis_line(rel: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The straight band (AXIS_BAND_MM wide) that holds the most of the points ``rel`` (view px about
    their centre), among directions within CONE_DEG of ``d``: the dart's point, barrel and shaft lie on
    one line, its flight's wings do not. Returns (unit direction along d, offset across it, share of the
    points in the band)."""
    base = np.arctan2(d[1], d[0])
    angles = base + np.radians(np.arange(-CONE_DEG, CONE_DEG + 0.1, ANGLE_STEP_DEG))
    dirs = np.column_stack([np.cos(angles), np.sin(angles)])
    across = rel @ np.column_stack([-dirs[:, 1], dirs[:, 0]]).T  # (n, angles)
    bin_px = 0.5 * PX_PER_MM
    lo = float(across.min())
    bins = ((across - lo) / bin_px).astype(np.int64)
    width = max(1, int(round(AXIS_BAND_MM * PX_PER_MM / bin_px)))
    best = (-1, 0, 0)
    for j in range(len(angles)):
        hist = np.bincount(bins[:, j])
        band = np.convolve(np.pad(hist, width), np.ones(width, np.int64), mode="valid")
        # A line, not a wide region: what lies in the band beside it counts against it.
        score = band[width:-width] - (band[: -2 * width] + band[2 * width :]) / 2
        k = int(np.argmax(score))
        if score[k] > best[0]:
            best = (int(score[k]), j, k + width)
    _, j, k = best
    count = int(
        np.convolve(np.pad(np.bincount(bins[:, j]), width), np.ones(width, np.int64), mode="valid")[k]
    )
    k -= width
    offset = lo + (k + width / 2) * bin_px
    return dirs[j], offset, count / len(rel)


def _fade_point(change: Change, start: np.ndarray, v: np.ndarray, threshold: float) -> np.ndarray:
    """Walking from ``start`` against ``v``: the last point of the axis where the change is still above
    ``threshold`` (gaps up to MAX_GAP_MM bridged), at sub-step precision."""
    # Begin a little behind the start (inside the barrel) and go up to the streak's front and beyond.
    s = np.arange(-20.0 * PX_PER_MM, 60.0 * PX_PER_MM, STEP_PX)
    normal = np.array([-v[1], v[0]])
    offsets = np.arange(-HALF_WIDTH_PX, HALF_WIDTH_PX + 1, 0.5)
    pts = start[None, None, :] - s[:, None, None] * v + offsets[None, :, None] * normal
    profile = sample(change.distance, pts)[..., 0].max(axis=1)
    above = profile > threshold
    gap_steps = int(MAX_GAP_MM * PX_PER_MM / STEP_PX)
    last, run = -1, 0
    for k in range(len(s)):
        if above[k]:
            last, run = k, 0
        elif last >= 0:
            run += 1
            if run > gap_steps:
                break
    if last < 0:
        return start
    # Between the last sample above and the next one below, where the profile crosses the threshold.
    k = last
    if k + 1 < len(s):
        a, b = profile[k], profile[k + 1]
        frac = float(np.clip((a - threshold) / max(a - b, 1e-6), 0.0, 1.0))
    else:
        frac = 0.0
    return start - (s[k] + frac * STEP_PX) * v
