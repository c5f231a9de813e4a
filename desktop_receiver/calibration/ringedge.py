"""Move a coarse ring ellipse onto the outer edge of its red/green band, in full-resolution pixels.

The ellipses that detect fits to the outlines of a downscaled colour mask lie a few per cent inside the
rings' outer wire: the mask keeps only the saturated middle of a ring a few pixels wide. Along rays through
the ellipse this finds, at full resolution, where the ring's red/green opponent signal |R - G| falls to half
way between the ring and what lies beyond it (the wire, then the black number ring or the singles), and
fits an ellipse to those edge points. |R - G| is large on both ring colours under white, warm and blue light
and small on black, cream, the wires and a white surround.
"""

from __future__ import annotations

import cv2
import numpy as np

from .ellipses import ellipse_points, robust_ellipse

N_RAYS = 120
MIN_RAY_SHARE = 0.4  # rays with a clear edge, of all rays inside the image
MIN_CONTRAST = 12.0  # |R - G| between the ring and beyond, below which a ray says nothing


def outer_edge(
    bgr: np.ndarray,
    ellipse: tuple,
    lo: float = 0.9,
    hi: float = 1.09,
    steps: int = 40,
    relative_contrast: float = 0.0,
) -> tuple | None:
    """The ellipse through the outer edge of the coloured band near ``ellipse`` (scaled ``lo``..``hi``).

    ``ellipse`` is ((cx, cy), (a, b), angle_deg) with semi-axes, like detect's; returns the same form, or
    None when too few rays show a clear edge. Rays whose contrast is under ``relative_contrast`` times the
    strong rays' (the 90th percentile) are left out: on a board seen by its red arcs alone, the rays
    through its dark green arcs find the edge of the cream singles inside them instead.
    """
    scales = np.linspace(lo, hi, steps)
    pts = ellipse_points(ellipse, scales, n=N_RAYS).astype(np.float32)  # (steps, rays, 2)
    h, w = bgr.shape[:2]
    x, y = pts[..., 0], pts[..., 1]
    inside = ((x >= 0) & (y >= 0) & (x <= w - 1) & (y <= h - 1)).all(axis=0)
    if inside.mean() < 0.3:
        return None
    samples = cv2.remap(bgr, x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    signal = np.abs(samples[..., 2].astype(np.float32) - samples[..., 1])
    edges, contrast = _ray_edges(signal)
    ok = inside & np.isfinite(edges)
    if relative_contrast > 0 and ok.any():
        ok &= contrast >= relative_contrast * np.percentile(contrast[ok], 90)
    if ok.sum() < MIN_RAY_SHARE * inside.sum() or ok.sum() < 24:
        return None
    rays = np.flatnonzero(ok)
    s = np.interp(edges[ok], np.arange(steps), scales)
    on_edge = ellipse_points(ellipse, s, n=N_RAYS)[np.arange(len(rays)), rays]
    return robust_ellipse(on_edge.astype(np.float32))


def _ray_edges(signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per ray (column), the fractional index where the signal falls past half between its peak and the
    lowest value beyond the peak (NaN where the contrast is too weak), and that contrast."""
    steps, rays = signal.shape
    peak = np.argmax(signal, axis=0)
    idx = np.arange(steps)[:, None]
    beyond = idx > peak
    top = signal[peak, np.arange(rays)]
    low = np.where(beyond, signal, np.inf).min(axis=0)
    half = (top + low) / 2
    below = beyond & (signal < half)
    first = np.where(below.any(axis=0), np.argmax(below, axis=0), -1)
    edges = np.full(rays, np.nan)
    good = (first > 0) & (top - low > MIN_CONTRAST)
    j = first[good]
    cols = np.flatnonzero(good)
    before, after = signal[j - 1, cols], signal[j, cols]
    edges[good] = j - 1 + (before - half[good]) / np.maximum(before - after, 1e-6)
    return edges, top - low
