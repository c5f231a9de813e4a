"""Edge measurements along short search lines, placed on the board by the current homography.

Each sample is a board point on a ring edge or a segment wire with a search direction in the board plane
(radial for rings, tangential for wires), the colour channel that changes across the edge and the
expected sign of the change. Profiles are read from the image with one ``cv2.remap`` for all samples; the
edge is where a box filter with a central gap (the wire's width) responds most in the expected direction,
so the wire itself, bright or dark, does not pull the estimate to one of its sides.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import board
from .homography import project, sample, to_image
from .lens import Lens

# Channels computed from a BGR profile: ring-ness |R - G| (red or green against black, cream, wire),
# red-minus-green (red against green), and brightness (black against cream).
CH_RING, CH_RED_GREEN, CH_LUMA = 0, 1, 2
# Least step (in 8-bit levels) that counts as an edge: the board's edges give 50 and more even in dim light.
MIN_CONTRAST = 8.0


@dataclass(frozen=True)
class Samples:
    """Board points, unit search directions (board plane), channel and expected sign per sample."""

    points: np.ndarray  # (N, 2) mm
    directions: np.ndarray  # (N, 2)
    channel: np.ndarray  # (N,)
    sign: np.ndarray  # (N,) +1: channel increases along the direction
    group: np.ndarray  # (N,) 0..5 ring index into board.RING_RADII, 6 wires in the singles, 7 in the rings

    def subset(self, keep: np.ndarray) -> Samples:
        """The samples selected by a boolean mask or index array."""
        arrays = (self.points, self.directions, self.channel, self.sign, self.group)
        return Samples(*(a[keep] for a in arrays))


@functools.cache
def board_samples() -> Samples:
    """All samples used to fit the homography: ring edges between wires, and radial wires between rings."""
    pts, dirs, chans, signs, groups = [], [], [], [], []
    centres = np.arange(board.N_SEGMENTS) * board.SEGMENT_DEG
    # Ring edges: (radius, channel, sign going outward, angles per segment).
    rings = [
        (board.R_INNER_BULL, CH_RED_GREEN, -1, np.arange(0, 360, 30.0)),
        (board.R_OUTER_BULL, CH_RING, -1, np.arange(0, 360, 15.0)),
        (board.R_TREBLE_INNER, CH_RING, +1, None),
        (board.R_TREBLE_OUTER, CH_RING, -1, None),
        (board.R_DOUBLE_INNER, CH_RING, +1, None),
        (board.R_DOUBLE_OUTER, CH_RING, -1, None),
    ]
    for k, (radius, channel, sign, angles) in enumerate(rings):
        if angles is None:
            angles = (centres[:, None] + np.array([-5.0, 0.0, 5.0])[None, :]).ravel()
        pts.append(board.polar_to_board(radius, angles))
        dirs.append(board.polar_to_board(1.0, angles))
        chans.append(np.full(len(angles), channel))
        signs.append(np.full(len(angles), sign))
        groups.append(np.full(len(angles), k))
    # Radial wires between segment i and i + 1 (clockwise): black -> cream if i is even, red -> green in
    # the rings; the search direction is clockwise.
    boundary = board.wire_angle(np.arange(board.N_SEGMENTS))
    even = board.is_red_segment(np.arange(board.N_SEGMENTS))
    for radii, channel, flip, group in (
        ((30.0, 45.0, 60.0, 75.0, 90.0, 117.0, 130.0, 143.0, 154.0), CH_LUMA, 1, 6),
        ((board.R_TREBLE_MIDDLE, board.R_DOUBLE_MIDDLE), CH_RED_GREEN, -1, 7),
    ):
        for radius in radii:
            pts.append(board.polar_to_board(radius, boundary))
            dirs.append(board.polar_to_board(1.0, boundary + 90.0))
            chans.append(np.full(board.N_SEGMENTS, channel))
            signs.append(np.where(even, flip, -flip))
            groups.append(np.full(board.N_SEGMENTS, group))
    return Samples(
        np.concatenate(pts),
        np.concatenate(dirs),
        np.concatenate(chans),
        np.concatenate(signs),
        np.concatenate(groups),
    )


@dataclass(frozen=True)
class Measurement:
    """Edge positions found near the predicted ones.

    Predictions and normals are in the ideal (undistorted) image of the current H; the edges found are
    observed pixels, which the refinement undistorts with each lens it tries.
    """

    predicted: np.ndarray  # (N, 2) ideal image px of the samples under the current H
    normals: np.ndarray  # (N, 2) unit ideal-image normals of the edges (the residual direction)
    found: np.ndarray  # (N, 2) observed image px of the edges found (valid where ``ok``)
    ok: np.ndarray  # (N,) an edge with the expected sign and some contrast was found inside the window


def measure(
    image: np.ndarray,
    h: np.ndarray,
    samples: Samples,
    window_mm: float,
    px_per_mm: float,
    lens: Lens | None = None,
) -> Measurement:
    """Find each sample's edge within +-``window_mm`` of where ``h`` (and ``lens``) put it.

    ``px_per_mm`` is the typical image scale of the board; it sets the profile step (half a pixel), the
    gap for the wire and the box length so that they make sense in pixels.
    """
    step = 0.5 / px_per_mm
    n_half = min(int(np.ceil(window_mm / step)), 400)
    gap = max(1, int(round(max(board.WIRE_WIDTH_MM / 2, 0.8 / px_per_mm) / step)))
    box = max(2, int(round(min(3.0, max(1.5, 2.5 / px_per_mm)) / step)))
    t = np.arange(-n_half - gap - box, n_half + gap + box + 1) * step
    lines = samples.points[:, None, :] + t[None, :, None] * samples.directions[:, None, :]
    img_pts = to_image(h, lines, lens)
    prof = sample(image, img_pts)
    b, g, r = prof[..., 0], prof[..., 1], prof[..., 2]
    channels = np.stack([np.abs(r - g), r - g, (b + g + r) / 3])
    values = channels[samples.channel, np.arange(len(samples.sign))] * samples.sign[:, None]
    # Box-filter difference with a central gap, at every profile position, through cumulative sums.
    cs = np.concatenate([np.zeros((len(values), 1), np.float32), np.cumsum(values, axis=1)], axis=1)
    j = np.arange(gap + box, len(t) - gap - box)
    right = cs[:, j + gap + box] - cs[:, j + gap]
    left = cs[:, j - gap + 1] - cs[:, j - gap - box + 1]
    response = (right - left) / box
    best = np.argmax(response, axis=1)
    rows = np.arange(len(best))
    peak = response[rows, best]
    # Sub-sample position from a parabola through the peak and its neighbours.
    lo, hi = np.clip(best - 1, 0, response.shape[1] - 1), np.clip(best + 1, 0, response.shape[1] - 1)
    ya, yb = response[rows, lo], response[rows, hi]
    denom = ya - 2 * peak + yb
    frac = np.where(denom < 0, 0.5 * (ya - yb) / np.where(denom < 0, denom, -1.0), 0.0)
    offset = (j[best] + frac) * step + t[0]
    found = to_image(h, samples.points + offset[:, None] * samples.directions, lens)
    predicted = project(h, samples.points)
    tangent = project(h, samples.points + 0.5 * samples.directions[:, ::-1] * [1, -1]) - predicted
    normals = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
    inside = _inside(img_pts[:, [0, -1]].reshape(-1, 2), image.shape).reshape(-1, 2).all(axis=1)
    ok = inside & (peak > MIN_CONTRAST) & (np.abs(offset) < window_mm)
    return Measurement(predicted, normals, found, ok)


def _inside(pts: np.ndarray, shape: tuple) -> np.ndarray:
    return (pts[:, 0] >= 0) & (pts[:, 1] >= 0) & (pts[:, 0] <= shape[1] - 1) & (pts[:, 1] <= shape[0] - 1)


def blur_sigma_px(image: np.ndarray, h: np.ndarray, lens: Lens | None = None) -> float:
    """Blur at the board, as the sigma (px) of a Gaussian edge, from the black/cream segment boundaries.

    Averages brightness profiles across the radial wires in the outer singles (wide flat areas on both
    sides, unlike the rings) and converts their 10-90 % rise distance (2.56 sigma for a Gaussian edge).
    """
    n = board.N_SEGMENTS
    boundary = board.wire_angle(np.arange(n))
    angles = np.concatenate([boundary, boundary])
    radii = np.repeat([125.0, 140.0], n)
    base = board.polar_to_board(radii, angles)
    tangent = board.polar_to_board(1.0, angles + 90.0)
    scale = np.linalg.norm(
        to_image(h, base + 0.5 * tangent, lens) - to_image(h, base - 0.5 * tangent, lens), axis=1
    )
    t_px = np.arange(-14, 14.01, 0.5)
    t_mm = np.clip(t_px[None, :] / scale[:, None], -18, 18)
    luma = sample(image, to_image(h, base[:, None, :] + t_mm[..., None] * tangent[:, None, :], lens)).mean(
        axis=2
    )
    # Boundaries after even segments go black -> cream clockwise; flip the others (odd segment index, at
    # both radii) to match. Flipping rows 1::2 and then n + 1::2 turned the second radius' odd rows twice.
    flip = np.tile(np.arange(n) % 2 == 1, 2)
    luma[flip] = luma[flip, ::-1]
    mean = np.median(luma, axis=0)
    fifth = len(t_px) // 5  # the flat levels on each side: the profile's first and last fifth
    lo, hi = mean[:fifth].mean(), mean[-fifth:].mean()
    if hi - lo < 10:
        return float("inf")
    frac = (mean - lo) / (hi - lo)
    x10 = np.interp(0.1, np.maximum.accumulate(frac), t_px)
    x90 = np.interp(0.9, np.maximum.accumulate(frac), t_px)
    return float(max(x90 - x10, 0.0) / 2.56)
