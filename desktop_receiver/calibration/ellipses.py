"""Ellipses as ((cx, cy), (a, b), angle_deg) with semi-axes: robust fits, points on them, scaling; and the
points of a polygon and the pixel values at points that the fits and their checks use."""

from __future__ import annotations

import cv2
import numpy as np

MIN_FIT_POINTS = 24


def robust_ellipse(pts: np.ndarray) -> tuple | None:
    """Ellipse fitted to outline points (float32, (N, 2)), ignoring bumps (darts); None if it fails."""
    if len(pts) < MIN_FIT_POINTS:
        return None
    keep = pts
    for _ in range(3):
        (cx, cy), (fa, fb), ang = cv2.fitEllipseAMS(keep)
        if not (np.isfinite([cx, cy, fa, fb]).all() and min(fa, fb) > 4):
            return None
        d = ellipse_distance(pts, ((cx, cy), (fa / 2, fb / 2), ang))
        tol = max(1.5, 3.0 * float(np.median(np.abs(d))))
        keep = pts[np.abs(d) < tol]
        if len(keep) < MIN_FIT_POINTS or len(keep) < 0.5 * len(pts):
            return None
    return (cx, cy), (fa / 2, fb / 2), ang


def ellipse_distance(pts: np.ndarray, ellipse: tuple) -> np.ndarray:
    """Approximate signed distance (px) of points from an ellipse (positive outside)."""
    (cx, cy), (a, b), ang = ellipse
    t = np.radians(ang)
    d = pts - np.array([cx, cy])
    u = d[:, 0] * np.cos(t) + d[:, 1] * np.sin(t)
    v = -d[:, 0] * np.sin(t) + d[:, 1] * np.cos(t)
    rho = np.hypot(u / a, v / b)
    return (rho - 1) * np.hypot(u, v) / np.maximum(rho, 1e-9)


def ellipse_points(ellipse: tuple, scale: float | np.ndarray, n: int = 180) -> np.ndarray:
    """Points (..., n, 2) on an ellipse scaled about its centre by ``scale``."""
    (cx, cy), (a, b), ang = ellipse
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    s = np.asarray(scale, dtype=np.float64)[..., None]
    th = np.radians(ang)
    x, y = s * a * np.cos(t), s * b * np.sin(t)
    return np.stack([cx + x * np.cos(th) - y * np.sin(th), cy + x * np.sin(th) + y * np.cos(th)], axis=-1)


def scaled(ellipse: tuple, k: float, about_centre: bool = False) -> tuple:
    """The ellipse scaled by ``k`` about the image origin (a change of resolution) or its own centre."""
    (cx, cy), (a, b), ang = ellipse
    return ((cx, cy) if about_centre else (cx * k, cy * k)), (a * k, b * k), ang


def mismatch(e: tuple, f: tuple, n: int = 180) -> float:
    """Largest distance between two ellipses' outlines (either way), relative to ``f``'s mean semi-axis."""
    d1 = np.abs(ellipse_distance(ellipse_points(e, 1.0, n), f)).max()
    d2 = np.abs(ellipse_distance(ellipse_points(f, 1.0, n), e)).max()
    return float(max(d1, d2) / np.sqrt(f[1][0] * f[1][1]))


def densify(polygon: np.ndarray, step: float = 1.5) -> np.ndarray:
    """Points every ``step`` px along a closed polygon's edges."""
    edges = np.roll(polygon, -1, axis=0) - polygon
    counts = np.maximum(1, (np.linalg.norm(edges, axis=1) / step).astype(int))
    index = np.repeat(np.arange(len(polygon)), counts)
    t = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) / np.repeat(counts, counts)
    return (polygon[index] + edges[index] * t[:, None]).astype(np.float32)


def values_at(img: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``img`` at the nearest pixels of ``pts`` and whether each point is inside the image."""
    h, w = img.shape[:2]
    xi, yi = np.round(pts[..., 0]).astype(int), np.round(pts[..., 1]).astype(int)
    ok = (xi >= 0) & (yi >= 0) & (xi < w) & (yi < h)
    return img[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], ok
