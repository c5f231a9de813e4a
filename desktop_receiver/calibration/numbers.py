"""Which way up: the 20 read from the number ring, at any roll.

The red/green pattern repeats every 36 degrees, so ten rotations fit the rings equally well. The number
ring tells them apart, whatever the roll, with cues that hold in any font. On boards with upright
numbers each one's ink is elongated along the board's x axis (two digits) or its y axis (one digit), so
its principal axes give the rotation modulo 90 degrees, and along the board's x axis a two-digit number is
about twice as wide as a one-digit one (a "1" is narrow), which tells a candidate from the one 180 degrees
away (their width patterns are complements). How much ink a slot holds adds a weak cue that does not
depend on how the numbers are turned. Only when the winner's lead is too small to trust (an unreadable
ring: too small, covered, logos over it, numbers turned with their segments) is the candidate closest to
image-up taken, flagged as a guess with a low certainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .homography import project, sample, to_image
from .lens import Lens
from .orient import rotation

# How much ink each number has, in digits (a "1" is a single stroke): two-digit numbers about twice a
# one-digit one's.
_DIGIT_INK = {"1": 0.5, "7": 0.75}
EXPECTED_INK = np.array([sum(_DIGIT_INK.get(d, 1.0) for d in str(n)) for n in board.SEGMENTS])
# Width of each number along the board's x axis, in digits ("1" is narrow), for upright numbers.
_DIGIT_WIDTH = {"1": 0.55}
EXPECTED_WIDTH = np.array([sum(_DIGIT_WIDTH.get(d, 1.0) for d in str(n)) for n in board.SEGMENTS])
INK_WEIGHT = 0.5  # the ink amounts are the weakest cue: logos and wires in the ring add to them
MIN_NUMBERS_FOR_WIDTHS = 8  # slots in view for the ink amounts to mean anything
MIN_NUMBERS_FOR_AXES = 4
MIN_INK_SAMPLES = 5  # fewer bright samples in a slot give no reliable axes
# The winner's lead over the runner-up (scores add up to about 2.5 on a readable ring) that is certainty
# 1: on the shared photos at 4 image rotations and 10 starting rotations, leads above 0.36 (certainty 0.3)
# were never wrong; below, the up guess is taken.
CERTAIN_MARGIN = 1.2
MIN_READ_CERTAINTY = 0.3
MAX_GUESS_CERTAINTY = 0.25  # under MIN_READ_CERTAINTY: a guess is never taken for a reading
MAX_UP_DEVIATION = 60.0  # degrees: a guess keeps the 20 within a hand-held phone's roll of up
UP_PRIOR_DEG = 300.0  # degrees from up that cost 1.0 of score: within that, closeness to up breaks ties


def number_ink(
    image: np.ndarray, h: np.ndarray, lens: Lens | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ink, points, visible) on the number ring, per segment slot of ``h``.

    ``ink`` (N_SEGMENTS, M) marks bright samples, ``points`` (N_SEGMENTS, M, 2) their board positions in
    ``h``'s frame.
    """
    n = board.N_SEGMENTS
    radii = np.linspace(board.R_NUMBER_INNER + 3, board.R_NUMBER_OUTER + 6, 15)
    offsets = np.linspace(-8.5, 8.5, 35)
    angles = np.arange(n)[:, None] * board.SEGMENT_DEG + offsets[None, :]
    pts = board.polar_to_board(radii[None, None, :], angles[..., None]).reshape(n, -1, 2)
    img_pts = to_image(h, pts.reshape(-1, 2), lens)
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


@dataclass(frozen=True)
class Orientation:
    """The board->image homography with the 20 chosen, how sure (in [0, 1]) and whether it is a guess
    (the candidate closest to image-up, the number ring being unreadable)."""

    H: np.ndarray
    certainty: float
    guessed: bool


def _ink_score(ink: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Per candidate k, the rank correlation of each slot's ink (how much of it: two-digit numbers have
    about twice a one-digit number's, a "1" half) with the board's numbers that k puts there. The amount
    does not depend on how the numbers are turned (upright or radial, as makers differ) nor on the roll."""
    score = np.zeros(board.COLOUR_ROTATIONS)
    if visible.sum() < MIN_NUMBERS_FOR_WIDTHS:
        return score
    amount = ink.sum(axis=1).astype(float)[visible]
    for k in range(board.COLOUR_ROTATIONS):
        expected = np.roll(EXPECTED_INK, board.COLOUR_PERIOD_SEGMENTS * k)[visible]
        score[k] = _rank_correlation(amount, expected)
    return score


def _width_score(ink: np.ndarray, pts: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """Per candidate k, the rank correlation of the slots' ink widths along k's board x axis with the
    widths of the numbers k puts there (upright numbers: two-digit ones are about twice as wide)."""
    score = np.zeros(board.COLOUR_ROTATIONS)
    if visible.sum() < MIN_NUMBERS_FOR_WIDTHS:
        return score
    for k in range(board.COLOUR_ROTATIONS):
        a = np.radians(board.COLOUR_PERIOD_DEG * k)
        widths = _widths(ink, pts, np.array([np.cos(a), np.sin(a)]))[visible]
        expected = np.roll(EXPECTED_WIDTH, board.COLOUR_PERIOD_SEGMENTS * k)[visible]
        score[k] = _rank_correlation(widths, expected)
    return score


def _deviation_from_up(h: np.ndarray) -> np.ndarray:
    """Per candidate k, degrees between image-up and the direction in which ``h @ rotation(36 k)`` puts
    the 20."""
    centre = project(h, np.zeros((1, 2)))[0]
    dev = np.empty(board.COLOUR_ROTATIONS)
    for k in range(board.COLOUR_ROTATIONS):
        top = project(h @ rotation(board.COLOUR_PERIOD_DEG * k), np.array([[0.0, -board.R_TREBLE_OUTER]]))
        top = top[0] - centre
        dev[k] = abs(np.degrees(np.arctan2(top[0], -top[1])))
    return dev


def choose_twenty(image: np.ndarray, h: np.ndarray, lens: Lens | None = None) -> Orientation:
    """Among the ten rotations ``h @ rotation(36 k)``, the one whose number ring reads like a board's.

    ``h`` (board -> ideal image) must be right modulo 36 degrees (red segments at even indices); ``lens``
    is the image's distortion. Each candidate is scored by how much ink its slots hold against the board's
    numbers (any roll) plus how upright its numbers stand and their widths (boards with upright numbers);
    when that leaves no clear winner, the best-reading candidate with the 20 near image-up is taken as a
    guess with a certainty of at most MAX_GUESS_CERTAINTY.
    """
    ink, pts, visible = number_ink(image, h, lens)
    score = (
        INK_WEIGHT * _ink_score(ink, visible)
        + _upright_score(ink, pts, visible)
        + _width_score(ink, pts, visible)
    )
    order = np.argsort(-score)
    margin = float(score[order[0]] - score[order[1]])
    certainty = float(np.clip(margin / CERTAIN_MARGIN, 0.0, 1.0))
    if certainty >= MIN_READ_CERTAINTY:
        return Orientation(h @ rotation(board.COLOUR_PERIOD_DEG * int(order[0])), certainty, False)
    # The guess: the 20 within MAX_UP_DEVIATION of up, and among such candidates the better reading (a
    # roll near 18 degrees puts two candidates about as close to up).
    dev = _deviation_from_up(h)
    guess = int(np.argmax(np.where(dev <= MAX_UP_DEVIATION, score - dev / UP_PRIOR_DEG, -np.inf)))
    certainty = min(certainty, MAX_GUESS_CERTAINTY)
    return Orientation(h @ rotation(board.COLOUR_PERIOD_DEG * guess), certainty, True)
