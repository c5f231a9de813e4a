"""Initial homography from the ring ellipses, with the board's rotation read from its colours.

The images of the double and treble rings (concentric circles) give the homography up to a rotation in
the board plane; with the double ring alone, an affine map that is right up to perspective (which the
refinement then fixes). The red/green pattern of the rings gives the rotation modulo 36 degrees (red on
even segments, green on odd ones); which of the ten candidates holds the 20 is read from the number ring
after refinement (numbers.choose_twenty).
"""

from __future__ import annotations

import numpy as np

from . import board
from .detect import RingCandidate
from .homography import sample, to_image
from .lens import Lens


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
    # Concentric circles: the other two eigenvalues agree and are (R_DOUBLE_OUTER / treble_radius)^2 times
    # the distinct one (the treble outline is the ring's outer edge or its middle, see RingCandidate).
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
    """Affine map taking the circle r = R_DOUBLE_OUTER onto the ellipse with conic ``c`` (None if not an
    ellipse)."""
    q, lin = c[:2, :2], c[:2, 2]
    try:
        x0 = -np.linalg.solve(q, lin)
    except np.linalg.LinAlgError:
        return None
    f = np.append(x0, 1.0) @ c @ np.append(x0, 1.0)
    if f == 0:
        return None
    vals, vecs = np.linalg.eigh(q / -f)
    if (vals <= 0).any():
        return None
    if np.linalg.det(vecs) < 0:
        vecs[:, 1] *= -1
    lin_map = vecs @ np.diag(1 / np.sqrt(vals)) / board.R_DOUBLE_OUTER
    return np.array([[*lin_map[0], x0[0]], [*lin_map[1], x0[1]], [0, 0, 1.0]])


def _colour_phase(image: np.ndarray, h: np.ndarray, lens: Lens | None) -> tuple[np.ndarray, np.ndarray]:
    """(phases, normalised correlation per phase) of the rings' red-minus-green signal with the board's
    pattern, for board rotations in [0, 36) degrees relative to ``h``."""
    angles = np.arange(0, 360, 1.0)
    pts = np.concatenate(
        [
            board.polar_to_board(board.R_DOUBLE_MIDDLE, angles),
            board.polar_to_board(board.R_TREBLE_MIDDLE, angles),
        ]
    )
    vals = sample(image, to_image(h, pts, lens))
    signal = (vals[:, 2] - vals[:, 1]).reshape(2, -1).sum(axis=0)
    signal -= signal.mean()
    phases = np.arange(0, board.COLOUR_PERIOD_DEG, 0.5)
    shifted = (angles[None, :] - phases[:, None]) % 360
    template = np.where(board.is_red_segment(board.segment_index(shifted)), 1.0, -1.0)
    return phases, template @ signal / (np.linalg.norm(signal) * np.sqrt(len(angles)) + 1e-9)


def initial_homography(image: np.ndarray, ring: RingCandidate) -> np.ndarray:
    """The rings' homography turned so that red segments fall on even indices (see colour_strength)."""
    h = perspective_from_rings(ring)
    phases, corr = _colour_phase(image, h, None)
    return h @ rotation(phases[int(np.argmax(corr))])


def colour_strength(image: np.ndarray, h: np.ndarray, lens: Lens | None = None) -> float:
    """Correlation in [-1, 1] of the rings' colours under ``h`` with the board's: near 1 for a fitted
    board, near -1 when red and green are swapped (the fit is off by one segment)."""
    return float(_colour_phase(image, h, lens)[1][0])
