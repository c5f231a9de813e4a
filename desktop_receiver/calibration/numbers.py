"""Which way up: the 20 read from the number ring.

The red/green pattern repeats every 36 degrees, so ten rotations fit the rings equally well. The number
ring tells them apart: numbers are upright on the board, so along the board's x axis a two-digit number
is about twice as wide as a one-digit one (and a "1" is narrow), in any font. Each candidate rotation is
scored by how well the widths it implies match the board's numbers; closeness of the 20 to image-up only
breaks ties.
"""

from __future__ import annotations

import numpy as np

from . import board
from .homography import project, sample
from .orient import rotation

# Width of each number on the number ring, in digits ("1" is narrow).
_DIGIT_WIDTH = {"1": 0.55}
EXPECTED_WIDTH = np.array([sum(_DIGIT_WIDTH.get(d, 1.0) for d in str(n)) for n in board.SEGMENTS])
UP_PRIOR_DEG = 300.0  # degrees from up that cost 1.0 of correlation: closeness to up only breaks ties
# With fewer numbers in view, one hidden by a dart can make a wrong rotation read better than the right one.
MIN_VISIBLE_NUMBERS = 8
MAX_UP_DEVIATION = 60.0  # degrees: beyond the +-30 degree roll plus perspective, a candidate is implausible


def number_ink(image: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ink, points, visible) on the number ring, per segment slot of ``h``.

    ``ink`` (20, M) marks bright samples, ``points`` (20, M, 2) their board positions in ``h``'s frame.
    """
    radii = np.linspace(board.R_NUMBER_INNER + 3, board.R_NUMBER_OUTER + 6, 15)
    offsets = np.linspace(-8.5, 8.5, 35)
    angles = np.arange(20)[:, None] * board.SEGMENT_DEG + offsets[None, :]
    pts = board.polar_to_board(radii[None, None, :], angles[..., None]).reshape(20, -1, 2)
    img_pts = project(h, pts.reshape(-1, 2))
    hgt, wid = image.shape[:2]
    inside = (img_pts[:, 0] >= 0) & (img_pts[:, 1] >= 0) & (img_pts[:, 0] < wid) & (img_pts[:, 1] < hgt)
    colours = sample(image, img_pts).reshape(20, -1, 3)
    vals = colours.mean(axis=2)
    brightest = colours.max(axis=2)
    # The numbers are white or silver: a coloured flight over the ring is not ink.
    neutral = brightest - colours.min(axis=2) < 0.4 * brightest + 10
    visible = inside.reshape(20, -1).mean(axis=1) > 0.9
    if visible.sum() < MIN_VISIBLE_NUMBERS:
        return np.zeros(vals.shape, bool), pts, visible
    # Ink is what stands out from the slot's own black (against uneven light and glare) by half the
    # slot's contrast: far, foreshortened numbers are fainter. The floor keeps noise out of the ink.
    background = np.percentile(vals, 30, axis=1)
    slot_contrast = np.percentile(vals, 98, axis=1) - background
    floor = max(0.25 * np.median(slot_contrast[visible]), 20.0)
    ink = (vals > (background + np.maximum(0.5 * slot_contrast, floor))[:, None]) & neutral
    return ink, pts, visible


def _widths(ink: np.ndarray, pts: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Extent (mm) of each slot's ink along ``axis`` (5th to 95th percentile; 0 with under 3 samples)."""
    proj = np.sort(np.where(ink, pts @ axis, np.inf), axis=1)
    proj[np.isinf(proj)] = 0.0  # only slots without ink index these
    n = ink.sum(axis=1)
    lo = np.floor(0.05 * np.maximum(n - 1, 0)).astype(int)
    hi = np.floor(0.95 * np.maximum(n - 1, 0)).astype(int)
    rows = np.arange(len(ink))
    return np.where(n >= 3, proj[rows, hi] - proj[rows, lo], 0.0)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks of ``x`` with ties sharing their mean rank."""
    ranks = np.empty(len(x))
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    return (np.bincount(inverse, ranks) / np.bincount(inverse))[inverse]


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's correlation: a dart or a glare spot over a number moves one rank, not the whole score."""
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def choose_twenty(image: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, float]:
    """Among the ten rotations by 36 degrees, the one whose number ring reads like a board's.

    Scores each candidate by the correlation of the numbers' widths (along that candidate's board x axis)
    with the board's numbers, excluding candidates that put the 20 more than 60 degrees from image-up;
    without a readable number ring the candidate closest to up wins. Returns (H, certainty in [0, 1]).
    """
    centre = project(h, np.zeros((1, 2)))[0]
    dev = np.empty(10)
    for k in range(10):
        top = project(h @ rotation(36.0 * k), np.array([[0.0, -board.R_TREBLE_OUTER]]))[0] - centre
        dev[k] = abs(np.degrees(np.arctan2(top[0], -top[1])))
    ink, pts, visible = number_ink(image, h)
    corr = np.zeros(10)
    if visible.sum() >= MIN_VISIBLE_NUMBERS:
        for k in range(10):
            if dev[k] > MAX_UP_DEVIATION:
                continue
            a = np.radians(36.0 * k)
            widths = _widths(ink, pts, np.array([np.cos(a), np.sin(a)]))[visible]
            expected = np.roll(EXPECTED_WIDTH, 2 * k)[visible]
            corr[k] = _rank_correlation(widths, expected)
    # Closeness to up only breaks ties (UP_PRIOR_DEG).
    score = corr - dev / UP_PRIOR_DEG
    score[dev > MAX_UP_DEVIATION] = -np.inf
    order = np.argsort(-score)
    best = int(order[0])
    margin = score[best] - score[order[1]] if np.isfinite(score[order[1]]) else 1.0
    certainty = float(np.clip(margin / 0.3, 0.0, 1.0))
    return h @ rotation(36.0 * best), certainty
