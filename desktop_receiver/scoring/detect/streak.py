"""Where a dart's point enters the board, in the camera image, from the pixels it changed.

A stuck dart is a straight streak in the image from its tip towards its flight; which way the streak runs
from the tip is predicted from the board's pose (geometry.Geometry.dart_direction). The streak's axis is
the straight band, within a cone about that direction, holding the most changed pixels (the point, barrel
and shaft lie on one line; the flight's wings need not). The tip is the end of that band against the
predicted direction, refined along the axis to where the change falls to half the point's own contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration.homography import sample
from desktop_receiver.scoring.detect.change import Change

CONE_DEG = 50.0  # how far the streak may turn from the predicted direction (the lean varies)
ANGLE_STEP_DEG = 1.0
BAND_MM = 6.0  # a barrel's width
MAX_GAP_MM = 35.0
STEP_PX = 0.25
HALF_WIDTH_PX = 1.0  # across the axis, where the point's change is looked for
LEVEL_PX = 4.0  # the point's contrast: the median of the profile over this stretch behind its end
FADE = 0.5  # the end: where the profile falls to this share of the point's contrast
EDGE_HALF_WIDTH_PX = 3.0  # across the axis: the point and its blur
EDGE_BEHIND_PX = 8.0
EDGE_OUT_PX = 5.0
EDGE_FADE = 0.5  # half the summed change just behind the tip
TIP_BIAS_PX = 0.0  # measured on renders (scripts/bench_tip.py): the half-contrast end lies this far inside


@dataclass(frozen=True)
class Fix:
    """A dart located in the image: ``tip`` (px), ``axis`` (unit, from the tip towards the flight),
    ``length`` (px along the axis of its changed band) and ``support`` (share of its pixels in the band)."""

    tip: tuple[float, float]
    axis: tuple[float, float]
    length: float
    support: float


def locate(change: Change, pts: np.ndarray, predicted: np.ndarray, px_per_mm: float) -> Fix | None:
    """The dart whose changed pixels are ``pts`` ((n, 2) x, y in the crop of ``distance``), running about
    along ``predicted`` (unit) from its tip; ``px_per_mm`` scales the widths. None when there is no line."""
    if len(pts) < 8:
        return None
    pts = pts.astype(np.float64)
    centre = pts.mean(axis=0)
    band = max(3.0, BAND_MM * px_per_mm)
    direction, offset, support = _axis_band(pts - centre, predicted, band)
    normal = np.array([-direction[1], direction[0]])
    rel = pts - centre
    on = np.abs(rel @ normal - offset) <= band / 2
    line_pts = pts[on]
    s = (line_pts - centre) @ direction
    front = _front(s, MAX_GAP_MM * px_per_mm)
    length = float(s.max() - front)
    # The axis from the front part of the band (point, barrel): the flight need not be centred on it.
    near = line_pts[s <= front + max(0.5 * length, 10.0 * px_per_mm)]
    if len(near) >= 6:
        vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        v = np.array([vx, vy], np.float64)
        v = v if v @ direction >= 0 else -v
        origin = np.array([x0, y0], np.float64)
    else:
        v, origin = direction, centre + offset * normal
    start = origin + ((centre + front * direction - origin) @ v) * v
    coarse = _refine(change.distance, change.threshold, start, v, px_per_mm)
    tip = _edge(change.diff, coarse, v)
    return Fix((float(tip[0]), float(tip[1])), (float(v[0]), float(v[1])), length, support)


def _axis_band(rel: np.ndarray, predicted: np.ndarray, band: float) -> tuple[np.ndarray, float, float]:
    """The direction (within CONE_DEG of ``predicted``) and offset across it of the ``band``-wide strip
    holding the most of the points ``rel`` (about their centre), less what lies beside it (a line, not a
    wide region), and the share of the points in it."""
    base = np.arctan2(predicted[1], predicted[0])
    angles = base + np.radians(np.arange(-CONE_DEG, CONE_DEG + 0.1, ANGLE_STEP_DEG))
    dirs = np.column_stack([np.cos(angles), np.sin(angles)])
    across = rel @ np.column_stack([-dirs[:, 1], dirs[:, 0]]).T
    bin_px = max(0.5, band / 8)
    lo = float(across.min())
    bins = ((across - lo) / bin_px).astype(np.int64)
    width = max(1, int(round(band / bin_px)))
    best = (-np.inf, 0, 0, 0)
    kernel = np.ones(width, np.int64)
    for j in range(len(angles)):
        hist = np.bincount(bins[:, j])
        counts = np.convolve(np.pad(hist, width), kernel, mode="valid")
        score = counts[width:-width] - (counts[: -2 * width] + counts[2 * width :]) / 2
        k = int(np.argmax(score))
        if score[k] > best[0]:
            best = (float(score[k]), j, k, int(counts[k + width]))
    _, j, k, count = best
    offset = lo + (k + width / 2) * bin_px
    return dirs[j], offset, count / len(rel)


def _front(s: np.ndarray, max_gap: float) -> float:
    """The front end of the points' positions ``s`` along the axis: from the median backwards (against
    the axis) as long as no gap exceeds ``max_gap``."""
    order = np.sort(s)
    mid = len(order) // 2
    k = mid
    while k > 0 and order[k] - order[k - 1] <= max_gap:
        k -= 1
    return float(order[k])


def _refine(
    distance: np.ndarray, threshold: float, start: np.ndarray, v: np.ndarray, px_per_mm: float
) -> np.ndarray:
    """The tip near ``start`` on the axis (``v`` towards the flight): walking from behind ``start`` against
    ``v``, the last point where the change is above half the point's own contrast (sub-step)."""
    s = np.arange(-8.0 * px_per_mm, 6.0 * px_per_mm, STEP_PX)  # position along -v from start
    normal = np.array([-v[1], v[0]])
    offsets = np.arange(-HALF_WIDTH_PX, HALF_WIDTH_PX + 0.01, 0.5)
    pts = start[None, None, :] - s[:, None, None] * v + offsets[None, :, None] * normal
    profile = sample(distance, pts)[..., 0].mean(axis=1)
    above = profile > 0.4 * threshold
    gap = int(1.5 * px_per_mm / STEP_PX)
    last, run = -1, 0
    for k in range(len(s)):
        if above[k]:
            last, run = k, 0
        elif last >= 0:
            run += 1
            if run > gap:
                break
    if last < 0:
        return start
    behind = profile[max(0, last - int(LEVEL_PX / STEP_PX)) : last + 1]
    level = FADE * float(np.median(behind))
    k = last
    while k + 1 < len(s) and profile[k + 1] > level:
        k += 1
    a, b = profile[k], profile[k + 1] if k + 1 < len(s) else 0.0
    frac = float(np.clip((a - level) / max(a - b, 1e-6), 0.0, 1.0))
    return start - (s[k] + frac * STEP_PX) * v


def _edge(diff: np.ndarray, coarse: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The tip near ``coarse`` at sub-pixel precision: across the axis, the change summed in the colour of
    the point just behind the tip (the sum does not depend on the blur across it) falls to half its level
    behind the tip; walking out from behind, the last crossing (``v`` points to the flight)."""
    normal = np.array([-v[1], v[0]])
    s = np.arange(-EDGE_BEHIND_PX, EDGE_OUT_PX, STEP_PX)  # along -v from coarse
    offsets = np.arange(-EDGE_HALF_WIDTH_PX, EDGE_HALF_WIDTH_PX + 0.01, 0.5)
    pts = coarse[None, None, :] - s[:, None, None] * v + offsets[None, :, None] * normal
    values = sample(diff, pts)  # (len(s), len(offsets), 3)
    behind = (s >= -LEVEL_PX - 1.0) & (s <= -1.0)
    colour = values[behind][:, np.abs(offsets) <= 1.0].reshape(-1, 3).mean(axis=0)
    norm = float(np.linalg.norm(colour))
    if norm < 1e-3:
        return coarse
    area = (values @ (colour / norm)).sum(axis=1) * 0.5  # px of the point's width times its contrast
    level = float(np.median(area[behind]))
    if level <= 0:
        return coarse
    k = int(np.flatnonzero(behind)[-1])
    while k + 1 < len(s) and area[k + 1] > EDGE_FADE * level:
        k += 1
    if k + 1 >= len(s):
        return coarse
    a, b = area[k], area[k + 1]
    frac = float(np.clip((a - EDGE_FADE * level) / max(a - b, 1e-6), 0.0, 1.0))
    return coarse - (s[k] + frac * STEP_PX + TIP_BIAS_PX) * v
