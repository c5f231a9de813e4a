"""Refine a homography and the lens on many edge measurements (rings and wires): robust Gauss-Newton.

Each measurement constrains the image position of a board point only across its edge (along the edge's
image normal), so the residual is that normal distance, in the ideal (undistorted) image. The update is a
projective correction applied in normalised image coordinates, ``H <- T^-1 (I + D) T H``, with D's 8
parameters, together with the lens' radial coefficient and distortion centre (lens.Lens), which move the
observed edges in the ideal image. The board's straight wires and concentric rings are what tell
distortion from perspective. Iteratively reweighted least squares (Tukey weights) keeps darts, shadows and
clutter from pulling the fit; weak priors hold the lens at no distortion, centred, unless the edges say
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .edges import Measurement, Samples, board_samples, measure
from .homography import project
from .lens import Lens

RING_GROUPS = (2, 3, 4, 5)  # treble and double ring edges: robust to a poor initial perspective
Schedule = tuple[tuple[float, tuple[int, ...] | None], ...]
# (window in mm, groups used): rings first, then everything with shrinking windows. From the rings'
# perspective init (FINE) the board is within a few mm; from one ellipse (COARSE) it can be 30 mm off.
FINE_SCHEDULE: Schedule = ((10.0, RING_GROUPS), (5.0, None), (2.5, None))
# Then the lens is fitted with the homography on every group (the rings alone cannot tell a barrel from a
# perspective) and kept only if its k is significant: on a board that covers a small part of the image a
# barrel is hardly seen, and a free k only adds noise.
LENS_SCHEDULE: Schedule = ((2.0, None), (2.0, None))
LENS_SIGNIFICANCE = 5.0  # the lens is kept when its k is this many standard deviations from 0
COARSE_SCHEDULE: Schedule = ((24.0, RING_GROUPS), (10.0, RING_GROUPS), (8.0, None)) + FINE_SCHEDULE[1:]
N_H = 8  # D's entries
# Priors on the lens, as the deviation that costs as much as every edge off by PRIOR_NOISE_PX: k by K_PRIOR,
# the distortion centre by CENTRE_PRIOR of the double ring's radius from the image's centre. Weak for k (a
# barrel moves the edges far more), firm for the centre (the board alone hardly locates it).
K_PRIOR = 0.3
CENTRE_PRIOR = 0.05
PRIOR_NOISE_PX = 0.5


@dataclass(frozen=True)
class Fit:
    """A refined homography and the evidence behind it."""

    H: np.ndarray
    samples: Samples
    residual_px: np.ndarray  # (N,) normal residuals of the last measurement after the update
    weight: np.ndarray  # (N,) robust weights in [0, 1] (0 where no edge was found)
    cov: np.ndarray  # (8, 8) covariance of the last update's H parameters (normalised coordinates)
    norm: np.ndarray  # (3, 3) the normalisation T used for ``cov``
    lens: Lens  # the fitted radial distortion
    k_sigma: float = float("inf")  # standard deviation of the lens' k (inf: k was not fitted)


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


def refine(
    image: np.ndarray, h0: np.ndarray, schedule: Schedule = FINE_SCHEDULE, lens: Lens | None = None
) -> Fit:
    """Refine ``h0`` (board mm -> ideal image px) on ``image`` following ``schedule``, then the lens.

    ``lens`` (default: none) is the starting lens; it stays fixed during ``schedule``.
    """
    if lens is None:
        lens = Lens.none(image.shape[1], image.shape[0])
    fit = _run(image, h0, lens, schedule, fit_lens=False)
    with_lens = _run(image, fit.H, fit.lens, LENS_SCHEDULE, fit_lens=True)
    return with_lens if abs(with_lens.lens.k) > LENS_SIGNIFICANCE * with_lens.k_sigma else fit


def _run(image: np.ndarray, h: np.ndarray, lens: Lens, schedule: Schedule, fit_lens: bool) -> Fit:
    all_samples = board_samples()
    image_centre = np.array([(image.shape[1] - 1) / 2, (image.shape[0] - 1) / 2])
    for window, groups in schedule:
        samples = all_samples if groups is None else all_samples.subset(np.isin(all_samples.group, groups))
        scale = px_per_mm(h)
        m = measure(image, h, samples, window, scale, lens)
        lens_prior = image_centre if fit_lens and groups is None else None
        h, lens, residual, weight, cov, norm = _solve(h, lens, m, scale, lens_prior)
    k_sigma = float(np.sqrt(cov[N_H, N_H])) if fit_lens else float("inf")
    return Fit(h, samples, residual, weight, cov[:N_H, :N_H], norm, lens, k_sigma)


def _lens_jacobian(lens: Lens, found: np.ndarray, normals: np.ndarray, s: float) -> np.ndarray:
    """(N, 3): derivative of the normalised residuals n . (predicted - undistort(found)) with respect to the
    lens' k and its centre (px / s)."""
    base = lens.undistort(found)
    cols = []
    for dk, dc in ((1e-4, (0.0, 0.0)), (0.0, (1e-2 * s, 0.0)), (0.0, (0.0, 1e-2 * s))):
        moved = Lens((lens.centre[0] + dc[0], lens.centre[1] + dc[1]), lens.scale, lens.k + dk)
        step = dk if dk else 1e-2
        cols.append(-np.einsum("ij,ij->i", normals, moved.undistort(found) - base) / s / step)
    return np.stack(cols, axis=1)


def _solve(
    h: np.ndarray, lens: Lens, m: Measurement, scale: float, image_centre: np.ndarray | None
) -> tuple[np.ndarray, Lens, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One measurement's robust update; returns (H, lens, residuals px, weights, covariance of the
    parameters (H's 8, then the lens' k and centre when fitted), norm).

    The lens is fitted too when ``image_centre`` (where its prior puts the distortion centre) is given.
    """
    fit_lens = image_centre is not None
    centre = project(h, np.zeros((1, 2)))[0]
    s = scale * board.R_DOUBLE_OUTER
    norm = np.array([[1 / s, 0, -centre[0] / s], [0, 1 / s, -centre[1] / s], [0, 0, 1.0]])
    x = (m.predicted - centre) / s
    r = np.einsum("ij,ij->i", m.normals, m.predicted - lens.undistort(m.found)) / s
    jac = np.einsum("ik,ikp->ip", m.normals, point_jacobian(x))
    # Priors on the lens: pseudo-residuals pulling k to 0 and the centre to the image's centre.
    n_p = N_H + 3 if fit_lens else N_H
    prior = np.zeros(n_p)
    prior_w = np.zeros(n_p)
    if fit_lens:
        jac = np.hstack([jac, _lens_jacobian(lens, m.found, m.normals, s)])
        prior[N_H:] = [lens.k, *(np.array(lens.centre) - image_centre) / s]
        prior_w[N_H:] = [1 / K_PRIOR**2, 1 / CENTRE_PRIOR**2, 1 / CENTRE_PRIOR**2]
    ok = m.ok.astype(np.float64)
    d = np.zeros(n_p)
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
        a += np.eye(n_p) * (1e-6 + 1e-4 * np.trace(a[:N_H, :N_H]) / N_H)
        # The priors weigh as much as all edges at PRIOR_NOISE_PX each: fixed, since the residuals' own
        # spread grows with the very distortion the fit must find.
        scale_w = w.sum() * (PRIOR_NOISE_PX / s) ** 2
        a += np.diag(prior_w) * scale_w
        d = np.linalg.solve(a, -(jac.T @ (w * r)) - prior_w * prior * scale_w)
    dmat = np.eye(3) + np.append(d[:N_H], 0.0).reshape(3, 3)
    h_new = np.linalg.inv(norm) @ dmat @ norm @ h
    if fit_lens:
        moved = (lens.centre[0] + d[N_H + 1] * s, lens.centre[1] + d[N_H + 2] * s)
        lens = Lens(moved, lens.scale, lens.k + d[N_H])
    res = r + jac @ d
    w = ok * np.where(np.abs(res) < 4.685 * sigma, (1 - (res / (4.685 * sigma)) ** 2) ** 2, 0.0)
    a = jac.T @ (jac * w[:, None]) + np.eye(n_p) * 1e-9
    dof = max(1.0, w.sum() - n_p)
    cov = np.linalg.inv(a) * float((w * res**2).sum() / dof)
    return h_new / h_new[2, 2], lens, res * s, w, cov, norm
