"""Which way up: the 20 read from the number ring.

The red/green pattern repeats every 36 degrees, so ten rotations fit the rings equally well. The number
ring tells them apart in two ways that hold in any font. Numbers are upright on the board: each one's ink
is elongated along the board's x axis (two digits) or its y axis (one digit), so the directions of its
principal axes give the board's rotation modulo 90 degrees, which with the rings' 36 degrees leaves only
candidates 180 degrees apart, and the up prior tells those apart. And along the board's x axis a two-digit
number is about twice as wide as a one-digit one (a "1" is narrow): the widths each candidate implies must
match the board's numbers. Closeness of the 20 to image-up only breaks ties.
"""

from __future__ import annotations

import numpy as np

from . import board
from .homography import project, sample
from .orient import rotation

# Width of each number on the number ring, in digits ("1" is narrow).
_DIGIT_WIDTH = {"1": 0.55}
EXPECTED_WIDTH = np.array([sum(_DIGIT_WIDTH.get(d, 1.0) for d in str(n)) for n in board.SEGMENTS])
UP_PRIOR_DEG = 300.0  # degrees from up that cost 1.0 of score: closeness to up only breaks ties
# With fewer numbers in view, one hidden by a dart can make a wrong rotation's widths read better than the
# right one's. Each number's axes are evidence on their own: a few suffice (and the ink threshold needs a
# few slots' contrast).
MIN_NUMBERS_FOR_WIDTHS = 8
MIN_NUMBERS_FOR_AXES = 4
MIN_INK_SAMPLES = 5  # fewer bright samples in a slot give no reliable axes
# The certainty is the winner's lead in score over the runner-up, relative to this. On a readable ring the
# right rotation scores near 1 on both readings and its neighbours far less (the axes give about -0.8 to a
# rotation 36 degrees off, 0.3 to one 72 degrees off): leads are about 0.8 or more. The up prior alone (at
# most 60/300 = 0.2) decides only with the 20 close to up and the next candidate far from it.
CERTAIN_MARGIN = 0.6
MAX_UP_DEVIATION = 60.0  # degrees: beyond the +-30 degree roll plus perspective, a candidate is implausible


def number_ink(image: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ink, points, visible) on the number ring, per segment slot of ``h``.

    ``ink`` (N_SEGMENTS, M) marks bright samples, ``points`` (N_SEGMENTS, M, 2) their board positions in
    ``h``'s frame.
    """
    n = board.N_SEGMENTS
    radii = np.linspace(board.R_NUMBER_INNER + 3, board.R_NUMBER_OUTER + 6, 15)
    offsets = np.linspace(-8.5, 8.5, 35)
    angles = np.arange(n)[:, None] * board.SEGMENT_DEG + offsets[None, :]
    pts = board.polar_to_board(radii[None, None, :], angles[..., None]).reshape(n, -1, 2)
    img_pts = project(h, pts.reshape(-1, 2))
    hgt, wid = image.shape[:2]
    inside = (img_pts[:, 0] >= 0) & (img_pts[:, 1] >= 0) & (img_pts[:, 0] < wid) & (img_pts[:, 1] < hgt)
    colours = sample(image, img_pts).reshape(n, -1, 3)
    vals = colours.mean(axis=2)
    brightest = colours.max(axis=2)
    # The numbers are white or silver: a coloured flight over the ring is not ink.
    neutral = brightest - colours.min(axis=2) < 0.4 * brightest + 10
    visible = inside.reshape(n, -1).mean(axis=1) > 0.9
    if visible.sum() < MIN_NUMBERS_FOR_AXES:
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


def _upright_score(ink: np.ndarray, pts: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Per candidate k (board x axis at k * COLOUR_PERIOD_DEG, i.e. 36k degrees, in ``h``'s frame), how
    well the numbers' principal axes line up with that candidate's x and y axes, in [-1, 1].

    A slot's ink covariance (sxx, syy, sxy) gives z = sxx - syy + 2i sxy, whose argument is twice its
    principal axis' angle; squaring z forgets whether the number is wide or tall, leaving four times the
    axis angle, which is four times the board's rotation for any upright number. Each number votes once
    with that direction (a unit vector): a glare spot or a dart over one number moves one vote.
    """
    used = visible & (ink.sum(axis=1) >= MIN_INK_SAMPLES)
    if used.sum() < MIN_NUMBERS_FOR_AXES:
        return np.zeros(board.COLOUR_ROTATIONS)
    w = ink[used].astype(float)
    w /= w.sum(axis=1, keepdims=True)
    d = pts[used] - np.einsum("sm,smc->sc", w, pts[used])[:, None, :]
    sxx, syy, sxy = (np.sum(w * d[..., i] * d[..., j], axis=1) for i, j in ((0, 0), (1, 1), (0, 1)))
    z = (sxx - syy) + 2j * sxy
    votes = (z / np.maximum(np.abs(z), 1e-9)) ** 2
    candidates = np.exp(-4j * np.radians(board.COLOUR_PERIOD_DEG * np.arange(board.COLOUR_ROTATIONS)))
    return (votes[:, None] * candidates[None, :]).real.mean(axis=0)


def choose_twenty(image: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, float]:
    """Among the ten rotations by 36 degrees, the one whose number ring reads like a board's.

    Scores each candidate by how upright its numbers stand (their principal axes, see _upright_score)
    plus the correlation of their widths along its board x axis with the board's numbers, excluding
    candidates that put the 20 more than 60 degrees from image-up; without a readable number ring the
    candidate closest to up wins. Returns (H, certainty in [0, 1]).
    """
    centre = project(h, np.zeros((1, 2)))[0]
    dev = np.empty(board.COLOUR_ROTATIONS)
    for k in range(board.COLOUR_ROTATIONS):
        top = project(h @ rotation(board.COLOUR_PERIOD_DEG * k), np.array([[0.0, -board.R_TREBLE_OUTER]]))
        top = top[0] - centre
        dev[k] = abs(np.degrees(np.arctan2(top[0], -top[1])))
    ink, pts, visible = number_ink(image, h)
    score = _upright_score(ink, pts, visible)
    if visible.sum() >= MIN_NUMBERS_FOR_WIDTHS:
        for k in range(board.COLOUR_ROTATIONS):
            if dev[k] > MAX_UP_DEVIATION:
                continue
            a = np.radians(board.COLOUR_PERIOD_DEG * k)
            widths = _widths(ink, pts, np.array([np.cos(a), np.sin(a)]))[visible]
            expected = np.roll(EXPECTED_WIDTH, board.COLOUR_PERIOD_SEGMENTS * k)[visible]
            score[k] += _rank_correlation(widths, expected)
    # Closeness to up only breaks ties (UP_PRIOR_DEG).
    score -= dev / UP_PRIOR_DEG
    score[dev > MAX_UP_DEVIATION] = -np.inf
    order = np.argsort(-score)
    best = int(order[0])
    margin = score[best] - score[order[1]] if np.isfinite(score[order[1]]) else CERTAIN_MARGIN
    certainty = float(np.clip(margin / CERTAIN_MARGIN, 0.0, 1.0))
    return h @ rotation(board.COLOUR_PERIOD_DEG * best), certainty
