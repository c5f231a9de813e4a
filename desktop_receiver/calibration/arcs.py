"""Find the double ring of a dark board from its red arcs alone.

On some boards the green is so dark and grey (a dark "league" board under a cool light) that no colour
mask tells it from the black around it: the double ring is then no annulus but ten red arcs with gaps as
long as themselves, which detect's outline search cannot join. Here the arcs of a dark-red mask (thin
strokes, not specks or the blobs of a textured wall) are linked into clusters (each arc to those within a
few arc lengths), a cluster's convex hull outlines the double ring (its red arcs are the board's
outermost colour; a stray component on the hull is left out), and a candidate must look like a board:
about ten red arcs along the rim, no red in the singles inside them, and red treble arcs on the same
segments at about 103/170 of the size.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import board
from .ellipses import densify, ellipse_points, robust_ellipse, values_at

MAX_ARCS = 80  # the largest red components looked at (clutter has many small ones)
MAX_ARC_SHARE = 0.01  # of the image: a larger red region is a wall or a flight, no arc
ARC_SAMPLE = 20  # the largest components, whose median area is the typical arc's
MIN_ARC_AREA = 0.1  # of the typical arc's area: smaller components are specks
MIN_ELONGATION = 2.0  # length over width: an arc spans a segment and is a ring's width across
LINK = 3.5  # arcs whose centres are closer than this many arc lengths belong to one cluster
MIN_ARCS = 8  # a board shows its double's and treble's red arcs, a few of them hidden by darts
# The scales (of the double ring's outer edge) of the rim, the singles and the treble ring, like detect's.
RIM_S = np.array([158.0, 162.0, 166.0, 169.0]) / board.R_DOUBLE_OUTER
SINGLES_S = np.array([130.0, 140.0]) / board.R_DOUBLE_OUTER
TREBLE_S = np.arange(90.0, 118.0, 4.0) / board.R_DOUBLE_OUTER
MIN_OVERLAP = 0.5  # of the rim's red angles, the share where the treble is red too (and the other way)
MAX_SINGLES = 0.1  # red share in the singles


def find_dashed_rings(red: np.ndarray, min_extent: int) -> list[tuple[tuple, tuple | None, float]]:
    """(double ring ellipse, treble middle ellipse or None, score in [0, 1]) of each board-like cluster of
    red arcs in the mask ``red``; clusters smaller than ``min_extent`` px are not looked at."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(red, connectivity=8)
    area = stats[1:, cv2.CC_STAT_AREA]
    extent = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]).astype(float)
    arcs = np.flatnonzero((area >= 3) & (area < MAX_ARC_SHARE * red.size))
    arcs = arcs[np.argsort(-area[arcs], kind="stable")][:MAX_ARCS]
    # Specks (noise in dark areas) would link clutter to the board: an arc is at least a fraction of
    # the typical large component, which on a board are its arcs.
    if len(arcs):
        arcs = arcs[area[arcs] >= MIN_ARC_AREA * np.median(area[arcs[:ARC_SAMPLE]])]
    arcs = arcs[[_elongation(labels, stats[i + 1], i + 1) >= MIN_ELONGATION for i in arcs]]
    found = []
    for cluster in _clusters(centroids[1:][arcs], extent[arcs]):
        ids = arcs[cluster] + 1  # component labels
        x0, y0 = stats[ids, 0].min(), stats[ids, 1].min()
        x1, y1 = (stats[ids, 0] + stats[ids, 2]).max(), (stats[ids, 1] + stats[ids, 3]).max()
        if max(x1 - x0, y1 - y0) < min_extent:
            continue
        window = labels[y0:y1, x0:x1]
        ys, xs = np.nonzero(np.isin(window, ids))
        pts = np.column_stack([xs + x0, ys + y0]).astype(np.float32)
        double, pts, score = _best_outline(red, pts, window[ys, xs])
        if score > 0:
            found.append((double, _treble(double, pts), score))
    return found


def _elongation(labels: np.ndarray, box: np.ndarray, label: int) -> float:
    """Length over width of a component (from its second moments): an arc is a thin stroke, a blob of a
    textured wall or of JPEG blocks is not."""
    x, y, w, h = box[:4]
    m = cv2.moments((labels[y : y + h, x : x + w] == label).astype(np.uint8), binaryImage=True)
    cov = np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]) / max(m["m00"], 1.0)
    small, large = np.linalg.eigvalsh(cov)
    return float(np.sqrt(large / max(small, 1e-3)))


def _best_outline(
    red: np.ndarray, pts: np.ndarray, owner: np.ndarray
) -> tuple[tuple | None, np.ndarray, float]:
    """(ellipse, points, score) of the double ring outlined by the convex hull of a cluster's red pixels
    ``pts``; when that does not score, the best hull without one of the components (``owner``: each
    pixel's) on it: a stray one linked to the board's arcs, clutter beside the board."""
    on_hull = cv2.convexHull(pts, returnPoints=False)[:, 0]
    best: tuple[tuple | None, np.ndarray, float] = (None, pts, 0.0)
    for stray in [None, *np.unique(owner[on_hull])]:
        kept = pts if stray is None else pts[owner != stray]
        if len(kept) < MIN_ARCS:
            continue
        double = robust_ellipse(densify(cv2.convexHull(kept)[:, 0, :]))
        score = dashed_score(red, double) if double is not None else 0.0
        if score > best[2]:
            best = (double, kept, score)
        if stray is None and score > 0:
            break
    return best


def _clusters(centres: np.ndarray, extent: np.ndarray) -> list[np.ndarray]:
    """Indices of the arcs of each cluster of at least MIN_ARCS arcs (linked: closer than LINK lengths)."""
    if len(centres) < MIN_ARCS:
        return []
    gap = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    linked = gap < LINK * np.maximum(extent[:, None], extent[None, :])
    # Breadth-first labelling of the graph: each arc gets the index of its cluster's first arc.
    group = np.full(len(centres), -1)
    for start in range(len(centres)):
        if group[start] >= 0:
            continue
        group[start], frontier = start, [start]
        while frontier:
            nxt = np.flatnonzero(linked[frontier].any(axis=0) & (group < 0))
            group[nxt] = start
            frontier = list(nxt)
    return [np.flatnonzero(group == g) for g in np.unique(group) if np.count_nonzero(group == g) >= MIN_ARCS]


def dashed_score(red: np.ndarray, double: tuple) -> float:
    """How much ``double`` looks like the outer edge of a double ring seen by its red arcs (0: not)."""
    rim, ok = values_at(red, ellipse_points(double, RIM_S))
    visible = ok.all(axis=0)
    if visible.mean() < 0.5:
        return 0.0
    on = rim.max(axis=0)[visible] > 0
    treble = values_at(red, ellipse_points(double, TREBLE_S))[0].max(axis=0)[visible] > 0
    singles = values_at(red, ellipse_points(double, SINGLES_S))[0].mean(axis=0)[visible].mean()
    # Ten red arcs: twenty changes between red and not along the whole rim.
    changes = np.count_nonzero(on != np.roll(on, 1)) / (board.N_SEGMENTS * visible.mean())
    both = np.count_nonzero(on & treble)
    overlap = min(both / max(np.count_nonzero(on), 1), both / max(np.count_nonzero(treble), 1))
    if not (0.2 <= on.mean() <= 0.7 and 0.6 <= changes <= 1.6) or overlap < MIN_OVERLAP:
        return 0.0
    if singles > MAX_SINGLES:
        return 0.0
    return float(min(1.0, changes) * overlap * (1.0 - singles))


def _treble(double: tuple, pts: np.ndarray) -> tuple | None:
    """The treble ring's middle (r = 103) fitted to the cluster's red pixels at about 103/170 of the
    double's size, or None."""
    (cx, cy), (a, b), ang = double
    t = np.radians(ang)
    d = pts - np.array([cx, cy], np.float32)
    u = (d[:, 0] * np.cos(t) + d[:, 1] * np.sin(t)) / a
    v = (-d[:, 0] * np.sin(t) + d[:, 1] * np.cos(t)) / b
    rho = np.hypot(u, v)
    treble = robust_ellipse(pts[(rho > 0.5) & (rho < 0.75)])
    if treble is None:
        return None
    ratio = np.sqrt(treble[1][0] * treble[1][1] / (a * b))
    return treble if abs(ratio - board.R_TREBLE_MIDDLE / board.R_DOUBLE_OUTER) < 0.08 else None
