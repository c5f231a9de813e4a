"""Initial homography from the double ring's ellipse, with the board's rotation read from its colours.

The affine map that takes the circle r = 170 mm to the ellipse is right up to perspective (fixed by the
refinement) and up to a rotation in the board plane. The red/green pattern of the double and treble rings
gives that rotation modulo 36 degrees (red on even segments, green on odd ones); which of the ten
candidates holds the 20 is decided after refinement (``choose_twenty``).
"""

from __future__ import annotations

import numpy as np

from . import board
from .detect import RingCandidate
from .homography import project, sample


def rotation(deg: float) -> np.ndarray:
    """Homography rotating board points clockwise (on the image) by ``deg`` about the bull."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def ellipse_affine(centre, axes, angle_deg: float, radius: float = board.R_DOUBLE_OUTER) -> np.ndarray:
    """Board mm -> image px mapping the circle of ``radius`` onto an ellipse (up to a rotation)."""
    t = np.radians(angle_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    lin = rot @ np.diag(axes) / radius
    return np.array([[*lin[0], centre[0]], [*lin[1], centre[1]], [0, 0, 1.0]])


def ellipse_conic(h_circle: np.ndarray, radius: float) -> np.ndarray:
    """Conic matrix of the image of the circle of ``radius`` under the homography ``h_circle``."""
    hi = np.linalg.inv(h_circle)
    return hi.T @ np.diag([1.0, 1.0, -(radius**2)]) @ hi


def perspective_from_rings(ring: RingCandidate) -> np.ndarray:
    """Board -> image homography (up to a rotation about the bull) from the double and treble ellipses.

    The images of two concentric circles give the image of their centre (the distinct eigenvector of
    C1^-1 C2) and the vanishing line (the centre's polar); sending that line back to infinity leaves an
    affine view of the circle. Falls back on the double ring's ellipse alone without a treble.
    """
    h_double = ellipse_affine(ring.centre, ring.axes, ring.angle_deg)
    if ring.treble is None:
        return h_double
    # Work in coordinates normalised on the double ring: well conditioned conics.
    norm = np.linalg.inv(h_double) * board.R_DOUBLE_OUTER
    norm[2] = [0, 0, 1]
    c1 = ellipse_conic(norm @ h_double, board.R_DOUBLE_OUTER)
    c2 = ellipse_conic(norm @ ellipse_affine(*ring.treble, ring.treble_radius), ring.treble_radius)
    vals, vecs = np.linalg.eig(np.linalg.solve(c1, c2))
    vals, vecs = vals.real, vecs.real
    gaps = [min(abs(vals[i] - vals[j]) for j in range(3) if j != i) for i in range(3)]
    k = int(np.argmax(gaps))
    pair = np.delete(vals, k)
    # Concentric circles: the other two eigenvalues agree and are (170/107)^2 times the distinct one.
    # Otherwise the treble outline is wrong (broken by a dart or glare): do without it.
    expected = (board.R_DOUBLE_OUTER / ring.treble_radius) ** 2
    ratio = pair.mean() / vals[k]
    if abs(pair[0] - pair[1]) > 0.15 * abs(pair.mean()) or not 0.8 < ratio / expected < 1.25:
        return h_double
    centre = vecs[:, k]
    line = c1 @ centre
    if abs(line[2]) < 1e-9 or abs(centre[2]) < 1e-9:
        return h_double
    rect = np.array([[1.0, 0, 0], [0, 1.0, 0], line / line[2]])
    c1r = np.linalg.inv(rect).T @ c1 @ np.linalg.inv(rect)
    aff = _conic_affine(c1r)
    if aff is None:
        return h_double
    h = np.linalg.inv(norm) @ np.linalg.inv(rect) @ aff
    if np.linalg.det(h[:2, :2] - np.outer(h[:2, 2], h[2, :2]) / h[2, 2]) * h[2, 2] < 0:
        h = h @ np.diag([1.0, -1.0, 1.0])  # keep the board's front side towards the camera
    return h / h[2, 2]


def _conic_affine(c: np.ndarray) -> np.ndarray | None:
    """Affine map taking the circle r = 170 onto the ellipse with conic ``c`` (None if not an ellipse)."""
    q, lin = c[:2, :2], c[:2, 2]
    try:
        x0 = -np.linalg.solve(q, lin)
    except np.linalg.LinAlgError:
        return None
    f = np.append(x0, 1.0) @ c @ np.append(x0, 1.0)
    vals, vecs = np.linalg.eigh(q / -f)
    if f == 0 or (vals <= 0).any():
        return None
    if np.linalg.det(vecs) < 0:
        vecs[:, 1] *= -1
    lin_map = vecs @ np.diag(1 / np.sqrt(vals)) / board.R_DOUBLE_OUTER
    return np.array([[*lin_map[0], x0[0]], [*lin_map[1], x0[1]], [0, 0, 1.0]])


def _colour_phase(image: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phases, normalised correlation per phase) of the rings' red-minus-green signal with the board's
    pattern, for board rotations in [0, 36) degrees relative to ``h``."""
    angles = np.arange(0, 360, 1.0)
    pts = np.concatenate([board.polar_to_board(166.0, angles), board.polar_to_board(103.0, angles)])
    vals = sample(image, project(h, pts))
    signal = (vals[:, 2] - vals[:, 1]).reshape(2, -1).sum(axis=0)
    signal -= signal.mean()
    phases = np.arange(0, 36, 0.5)
    shifted = (angles[None, :] - phases[:, None]) % 360
    template = np.where(board.is_red_segment(board.segment_index(shifted)), 1.0, -1.0)
    return phases, template @ signal / (np.linalg.norm(signal) * np.sqrt(len(angles)) + 1e-9)


def initial_homography(image: np.ndarray, ring: RingCandidate) -> np.ndarray:
    """The rings' homography turned so that red segments fall on even indices (see colour_strength)."""
    h = perspective_from_rings(ring)
    phases, corr = _colour_phase(image, h)
    return h @ rotation(phases[int(np.argmax(corr))])


def colour_strength(image: np.ndarray, h: np.ndarray) -> float:
    """Correlation in [-1, 1] of the rings' colours under ``h`` with the board's: near 1 for a fitted
    board, near -1 when red and green are swapped (the fit is off by one segment)."""
    return float(_colour_phase(image, h)[1][0])


# Width of each number on the number ring, in digits ("1" is narrow). Numbers are upright on the board,
# so a two-digit number is wider than a one-digit one along the board's x axis, in any font; this
# tells the candidates apart where the red/green pattern (period 36 degrees) cannot.
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
