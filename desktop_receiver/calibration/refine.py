"""Refine a homography on many edge measurements (rings and wires): robust Gauss-Newton, point-to-edge.

Each measurement constrains the image position of a board point only across its edge (along the edge's
image normal), so the residual is that normal distance. The update is a projective correction applied in
normalised image coordinates, ``H <- T^-1 (I + D) T H``, with D's 8 parameters found by iteratively
reweighted least squares (Tukey weights) so that darts, shadows and clutter do not pull the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .edges import Measurement, Samples, board_samples, measure
from .homography import project

RING_GROUPS = (2, 3, 4, 5)  # treble and double ring edges: robust to a poor initial perspective
Schedule = tuple[tuple[float, tuple[int, ...] | None], ...]
# (window in mm, groups used): rings first, then everything with shrinking windows. From the rings'
# perspective init (FINE) the board is within a few mm; from one ellipse (COARSE) it can be 30 mm off.
FINE_SCHEDULE: Schedule = ((10.0, RING_GROUPS), (5.0, None), (3.0, None), (2.0, None))
COARSE_SCHEDULE: Schedule = ((24.0, RING_GROUPS), (10.0, RING_GROUPS), (8.0, None)) + FINE_SCHEDULE[1:]


@dataclass(frozen=True)
class Fit:
    """A refined homography and the evidence behind it."""

    H: np.ndarray
    samples: Samples
    residual_px: np.ndarray  # (N,) normal residuals of the last measurement after the update
    weight: np.ndarray  # (N,) robust weights in [0, 1] (0 where no edge was found)
    cov: np.ndarray  # (8, 8) covariance of the last update's parameters (normalised coordinates)
    norm: np.ndarray  # (3, 3) the normalisation T used for ``cov``


def px_per_mm(h: np.ndarray) -> float:
    """The board's mean image scale (px per mm) over the double ring."""
    ring = project(h, board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 10.0)))
    centred = ring - ring.mean(axis=0)
    # A circle of radius R has covariance R^2 / 2 * I, so R = (2^2 det)^(1/4).
    return float((4 * abs(np.linalg.det(centred.T @ centred / len(ring)))) ** 0.25 / board.R_DOUBLE_OUTER)


def point_jacobian(x: np.ndarray) -> np.ndarray:
    """(N, 2, 8): derivative of normalised image points under ``(I + D) x`` with respect to D's entries."""
    u, v = x[:, 0], x[:, 1]
    one, zero = np.ones_like(u), np.zeros_like(u)
    ju = np.stack([u, v, one, zero, zero, zero, -u * u, -u * v], axis=1)
    jv = np.stack([zero, zero, zero, u, v, one, -u * v, -v * v], axis=1)
    return np.stack([ju, jv], axis=1)


def refine(image: np.ndarray, h0: np.ndarray, schedule: Schedule = FINE_SCHEDULE) -> Fit:
    """Refine ``h0`` (board mm -> image px) on ``image`` following ``schedule``."""
    h = h0
    all_samples = board_samples()
    for window, groups in schedule:
        samples = all_samples if groups is None else all_samples.subset(np.isin(all_samples.group, groups))
        scale = px_per_mm(h)
        m = measure(image, h, samples, window, scale)
        h, residual, weight, cov, norm = _solve(h, m, scale)
    return Fit(h, samples, residual, weight, cov, norm)


def _solve(
    h: np.ndarray, m: Measurement, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One measurement's robust update; returns (H, residuals px, weights, covariance, normalisation)."""
    centre = project(h, np.zeros((1, 2)))[0]
    s = scale * board.R_DOUBLE_OUTER
    norm = np.array([[1 / s, 0, -centre[0] / s], [0, 1 / s, -centre[1] / s], [0, 0, 1.0]])
    x = (m.predicted - centre) / s
    r = np.einsum("ij,ij->i", m.normals, m.predicted - m.found) / s
    jac = np.einsum("ik,ikp->ip", m.normals, point_jacobian(x))
    ok = m.ok.astype(np.float64)
    d = np.zeros(8)
    sigma = 1.0
    for _ in range(3):
        res = r + jac @ d
        valid = ok > 0
        if valid.sum() < 12:
            break
        mad = np.median(np.abs(res[valid]))
        sigma = max(1.4826 * mad, 0.25 / s)
        c = 4.685 * sigma
        w = ok * np.where(np.abs(res) < c, (1 - (res / c) ** 2) ** 2, 0.0)
        a = jac.T @ (jac * w[:, None])
        # Light damping: the rings alone leave the rotation about the bull free.
        a += np.eye(8) * (1e-6 + 1e-4 * np.trace(a) / 8)
        d = np.linalg.solve(a, -(jac.T @ (w * r)))
    dmat = np.eye(3) + np.append(d, 0.0).reshape(3, 3)
    h_new = np.linalg.inv(norm) @ dmat @ norm @ h
    res = r + jac @ d
    w = ok * np.where(np.abs(res) < 4.685 * sigma, (1 - (res / (4.685 * sigma)) ** 2) ** 2, 0.0)
    a = jac.T @ (jac * w[:, None]) + np.eye(8) * 1e-9
    dof = max(1.0, w.sum() - 8)
    cov = np.linalg.inv(a) * float((w * res**2).sum() / dof)
    return h_new / h_new[2, 2], res * s, w, cov, norm
