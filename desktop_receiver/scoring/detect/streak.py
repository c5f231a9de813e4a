"""Whether a change is a dart's streak: its axis, length and how much of it lies on one line.

A stuck dart is a straight streak in the image from its tip towards its flight; which way the streak runs
from the tip is predicted from the board's pose (geometry.Geometry.dart_direction). The streak's axis is
the straight band, within a cone about that direction, holding the most changed pixels (the point, barrel
and shaft lie on one line; the flight's wings need not). A hand's or a shadow's change is wide or short.
Where the tip lies is the tip network's to say (tip_net): the band's end is often a shadow's or a wing's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONE_DEG = 50.0  # how far the streak may turn from the predicted direction (the lean varies)
ANGLE_STEP_DEG = 1.0
BAND_MM = 6.0  # a barrel's width
MAX_GAP_MM = 35.0


@dataclass(frozen=True)
class Streak:
    """A dart's streak in the image: ``axis`` (unit, from the tip towards the flight), ``length`` (px
    along the axis of its changed band) and ``support`` (share of its pixels in the band)."""

    axis: tuple[float, float]
    length: float
    support: float


def find_streak(pts: np.ndarray, predicted: np.ndarray, px_per_mm: float) -> Streak | None:
    """The streak of the changed pixels ``pts`` ((n, 2) image x, y), running about along ``predicted``
    (unit) from its tip; ``px_per_mm`` scales the widths. None when there are too few pixels for a line."""
    if len(pts) < 8:
        return None
    pts = pts.astype(np.float64)
    rel = pts - pts.mean(axis=0)
    band = max(3.0, BAND_MM * px_per_mm)
    direction, offset, support = _axis_band(rel, predicted, band)
    normal = np.array([-direction[1], direction[0]])
    s = rel[np.abs(rel @ normal - offset) <= band / 2] @ direction
    length = float(s.max() - _front(s, MAX_GAP_MM * px_per_mm))
    return Streak((float(direction[0]), float(direction[1])), length, support)


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
