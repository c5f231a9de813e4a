"""Find the board's double ring: the outer annulus of alternating red and green segments.

Works on downscaled copies (speed) with masks of clearly red or green pixels: a quick look at a 400 px
copy in neutral-light colours first, then an 800 px copy with the same mask and with two masks of the
red/green opponent signal after a colour balance (blue or warm light, small and faint rings). A candidate
must be ring-shaped: its outline fits an ellipse, the ellipse's rim is red/green and alternates about 20
times, the inside of the rim (the outer singles) is not coloured, and a second coloured ring (the treble)
sits at about 103/170 of the size. This rejects red/green objects on the wall and the treble ring on its
own. When none of the masks shows a ring, a board whose green is too dark to be seen may still show its
red arcs: the 800 px copy's dark-red mask is searched for them (arcs). The ellipses found are finally
moved onto the rings' outer edges at full resolution (ringedge).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import numpy as np

from . import board
from .arcs import find_dashed_rings
from .ellipses import densify, ellipse_points, mismatch, robust_ellipse, scaled, values_at
from .masks import colour_masks, dark_red_mask, opponent_masks
from .ringedge import outer_edge

WORK_SIZE = 800  # longest side of the downscaled copy used for detection
QUICK_SIZE = 400  # the same for the first, quick look
QUICK_MIN_SCORE = 0.3  # weaker rings at a glance are left to the thorough search
# How far (relative to its size) the outer edge found at full resolution may lie from a coarse ellipse:
# those fitted to merged outlines (lettering touching the ring) are up to ~12 % off.
MAX_EDGE_SHIFT = 0.15
MIN_EXTENT = 24  # px of the downscaled copy: the smallest outline looked at


@dataclass(frozen=True)
class RingCandidate:
    """The ellipse of the double ring's outer edge (r = 170 mm), in full-resolution pixels."""

    centre: tuple[float, float]
    axes: tuple[float, float]  # semi-axes along ``angle_deg`` and perpendicular to it
    angle_deg: float
    touches_border: bool
    score: float  # in [0, 1]: how ring-like (rim coverage, alternation, empty singles, treble)
    treble: tuple | None = None  # ((cx, cy), (a, b), angle) of a treble ring edge, if found
    treble_radius: float = board.R_TREBLE_OUTER  # which one: the outer edge, or the ring's middle
    dashed: bool = False  # found by its red arcs alone (arcs): its green is too dark to be seen


class _Work(NamedTuple):
    """The downscaled image and one of its ring masks with its red-minus-green."""

    image: np.ndarray
    mask: np.ndarray
    diff: np.ndarray


def find_rings(bgr: np.ndarray) -> list[RingCandidate]:
    """Candidate double rings in ``bgr``, best first (empty when there is no board-like ring)."""
    # A quick look at a small copy in neutral-light colours finds most boards; the ring edges are then
    # found at full resolution anyway. Small boards and colour casts need the slower, thorough search.
    small, scale = _downscaled(bgr, QUICK_SIZE)
    found = [c for c in _search(_Work(small, *colour_masks(small)), scale) if c.score >= QUICK_MIN_SCORE]
    if not found:
        small, scale = _downscaled(bgr, WORK_SIZE)
        for mask, diff in _colour_variants(small):
            found = _search(_Work(small, mask, diff), scale)
            if found:
                break
        else:
            found = _dashed(small, scale)
    return _deduplicated([_on_edges(bgr, c) for c in found])


def _downscaled(bgr: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """A copy whose longest side is at most ``size``, and its scale."""
    h, w = bgr.shape[:2]
    scale = min(1.0, size / max(h, w))
    if scale == 1.0:
        return bgr, scale
    # Bilinear is ten times faster than INTER_AREA at non-integer scales; the masks blur anyway.
    return cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR), scale


def _colour_variants(small: np.ndarray):
    """Ring masks to try in turn, from the strictest: neutral light first, casts of all kinds then."""
    yield colour_masks(small)
    yield opponent_masks(small, white_patch=True)
    # Last, the faintest rings: those of small boards, thinner than the median lets through.
    yield opponent_masks(small, despeckle=False)


def _dashed(small: np.ndarray, scale: float) -> list[RingCandidate]:
    """Candidates of dark boards, whose double ring shows only its red arcs (see arcs)."""
    red, _ = dark_red_mask(small)
    h, w = small.shape[:2]
    candidates = []
    for double, treble, score in find_dashed_rings(red, 2 * MIN_EXTENT):
        x, y = ellipse_points(double, 1.0, n=72).T
        candidates.append(
            RingCandidate(
                *scaled(double, 1 / scale),
                touches_border=bool(((x < 0) | (y < 0) | (x > w - 1) | (y > h - 1)).any()),
                score=score,
                treble=None if treble is None else scaled(treble, 1 / scale),
                treble_radius=board.R_TREBLE_MIDDLE,
                dashed=True,
            )
        )
    return candidates


def _on_edges(bgr: np.ndarray, ring: RingCandidate) -> RingCandidate:
    """The candidate with its double (and treble) ellipse on the rings' outer edges at full resolution."""
    # Only the red arcs of a dashed ring show its edge (see ringedge.outer_edge).
    double = outer_edge(bgr, (ring.centre, ring.axes, ring.angle_deg), relative_contrast=0.4 * ring.dashed)
    if double is None or mismatch(double, (ring.centre, ring.axes, ring.angle_deg)) > MAX_EDGE_SHIFT:
        return ring
    treble, radius = ring.treble, ring.treble_radius
    if treble is not None:
        outer = scaled(treble, board.R_TREBLE_OUTER / radius, about_centre=True)
        edge = outer_edge(bgr, outer, lo=0.9, hi=1.08)
        if edge is not None and mismatch(edge, outer) < MAX_EDGE_SHIFT:
            treble, radius = edge, board.R_TREBLE_OUTER
    (cx, cy), axes, angle = double
    return replace(ring, centre=(cx, cy), axes=axes, angle_deg=angle, treble=treble, treble_radius=radius)


def _search(work: _Work, scale: float) -> list[RingCandidate]:
    """Candidates in a ring mask of the downscaled image; ``scale`` maps back to full resolution."""
    # Closing bridges the wires between segments so that the double ring becomes one annulus.
    closed = cv2.morphologyEx(
        work.mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    )
    found = _candidates(closed, work, scale)
    if not found:
        # The double ring may touch a red or green wall or cabinet through a flight: keep only thin
        # structures (the rings are at most ~13 px wide here), cutting them loose from thick regions.
        thick = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (17, 17)))
        thin = closed & ~cv2.dilate(thick, np.ones((5, 5), np.uint8)) & 1
        found = _candidates(thin, work, scale)
    return found


def _candidates(regions: np.ndarray, work: _Work, scale: float) -> list[RingCandidate]:
    """Double-ring candidates among the outlines of ``regions`` (a cleaned ring mask), best first."""
    # Outer outlines of all components, including those inside another one's hole (a ring on a cabinet).
    contours, hierarchy = cv2.findContours(regions, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return []
    outer = [c for c, hier in zip(contours, hierarchy[0], strict=True) if hier[3] < 0]
    ellipses, found = [], []
    for contour in sorted(outer, key=cv2.contourArea, reverse=True)[:12]:
        ring = _ring_of(contour, work, ellipses)
        if ring is not None:
            found.append(ring)
    candidates = []
    for ellipse, touches, score in found:
        treble = _find_treble(ellipse, [e for e in ellipses if e is not ellipse], work.mask)
        radius = board.R_TREBLE_OUTER
        if treble is None:
            treble, radius = _treble_from_band(ellipse, contours), board.R_TREBLE_MIDDLE
        candidates.append(
            RingCandidate(
                *scaled(ellipse, 1 / scale),
                touches_border=touches,
                score=score,
                treble=None if treble is None else scaled(treble, 1 / scale),
                treble_radius=radius,
            )
        )
    return _deduplicated(candidates)


def _ring_of(contour: np.ndarray, work: _Work, ellipses: list[tuple]) -> tuple | None:
    """(ellipse, touches the border, score) of the double ring that ``contour`` outlines, or None.

    Every ellipse fitted on the way is appended to ``ellipses`` (the treble is looked for among them).
    """
    x, y, cw, ch = cv2.boundingRect(contour)
    if max(cw, ch) < MIN_EXTENT:
        return None
    # A ring's hull is mostly empty (the singles); a filled shape on the wall is not.
    if np.count_nonzero(work.mask[y : y + ch, x : x + cw]) > 0.6 * cv2.contourArea(cv2.convexHull(contour)):
        return None
    sh, sw = work.mask.shape[:2]
    # The outline first; then its convex hull: a ring broken by a dart is C-shaped, but its hull is the
    # outer edge plus a chord, which the robust fit drops.
    for pts in (
        contour[:, 0, :].astype(np.float32),
        densify(cv2.convexHull(contour)[:, 0, :].astype(np.float32)),
    ):
        inside = (pts[:, 0] > 1) & (pts[:, 1] > 1) & (pts[:, 0] < sw - 2) & (pts[:, 1] < sh - 2)
        ellipse = robust_ellipse(pts[inside])
        if ellipse is None:
            continue
        ellipses.append(ellipse)
        score = _ring_score(work.mask, work.diff, ellipse)
        if score > 0:
            return ellipse, not inside.all(), score
        # Or the treble, when the double ring has merged with something (a flight, a red wall, the noisy
        # black of a board in blue light): the double is then about 170/107 times larger, off by the
        # perspective, which the search for its outer edge takes out.
        if not _alternates(work, ellipse, board.R_TREBLE_MIDDLE / board.R_TREBLE_OUTER):
            continue  # not a treble either (and the edge search below is not cheap)
        grown = scaled(ellipse, board.R_DOUBLE_OUTER / board.R_TREBLE_OUTER, about_centre=True)
        grown = outer_edge(work.image, grown, lo=0.85, hi=1.12) or grown
        score = _ring_score(work.mask, work.diff, grown) * 0.9
        if score > 0:
            return grown, False, score
    return None


def _deduplicated(candidates: list[RingCandidate]) -> list[RingCandidate]:
    """Best first, without near-duplicates (the outline and its hull often give the same ring twice)."""
    unique: list[RingCandidate] = []
    for c in sorted(candidates, key=lambda c: -c.score):
        if not any(_same_ellipse(c, u) for u in unique):
            unique.append(c)
    return unique


def _same_ellipse(a: RingCandidate, b: RingCandidate) -> bool:
    size = np.sqrt(a.axes[0] * a.axes[1])
    return bool(
        np.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1]) < 0.05 * size
        and abs(np.sqrt(b.axes[0] * b.axes[1]) / size - 1) < 0.05
    )


def _find_treble(double: tuple, others: list[tuple], mask: np.ndarray) -> tuple | None:
    """Among other fitted outlines, the treble ring's: inside the double, about 107/170 of its size, and
    the one whose inner side is best covered by the mask (a dart can spoil an outline's fit)."""
    (cx, cy), (a, b), _ = double
    size = np.sqrt(a * b)
    best, best_cover = None, 0.6
    for e in others:
        (ex, ey), (ea, eb), _ = e
        ratio = np.sqrt(ea * eb) / size
        off = np.hypot(ex - cx, ey - cy) / size
        if off > 0.25 or abs(ratio - board.R_TREBLE_OUTER / board.R_DOUBLE_OUTER) > 0.12:
            continue
        # Two radii within the treble ring, either side of its middle (101, 104 mm); ``e`` is its outer edge.
        inside_ring = board.R_TREBLE_MIDDLE + np.array([-2.0, 1.0])
        on, ok = values_at(mask, ellipse_points(e, inside_ring / board.R_TREBLE_OUTER))
        cover = on.max(axis=0)[ok.all(axis=0)].mean() if ok.all(axis=0).any() else 0.0
        if cover > best_cover:
            best, best_cover = e, cover
    return best


def _treble_from_band(double: tuple, outlines: list[np.ndarray]) -> tuple | None:
    """The treble ring's middle (r = 103) from all outline points in its band around the double's centre.

    When a flight joins the treble to the double ring, the treble has no outline of its own; its inner and
    outer edges are still there, in other outlines, at about 99/170 and 107/170 of the double's size.
    """
    (cx, cy), (a, b), ang = double
    pts = np.concatenate([c[:, 0, :] for c in outlines]).astype(np.float32)
    t = np.radians(ang)
    d = pts - np.array([cx, cy], np.float32)
    u = (d[:, 0] * np.cos(t) + d[:, 1] * np.sin(t)) / a
    v = (-d[:, 0] * np.sin(t) + d[:, 1] * np.cos(t)) / b
    rho = np.hypot(u, v)
    band = pts[(rho > 0.47) & (rho < 0.78)]
    if len(band) < 40:
        return None
    ellipse = robust_ellipse(band)
    if ellipse is None:
        return None
    ratio = np.sqrt(ellipse[1][0] * ellipse[1][1] / (a * b))
    return ellipse if abs(ratio - board.R_TREBLE_MIDDLE / board.R_DOUBLE_OUTER) < 0.1 else None


def _alternates(work: _Work, ellipse: tuple, middle: float) -> bool:
    """Whether the ring whose middle is ``ellipse`` scaled by ``middle`` is mostly coloured and turns from
    red to green and back about 20 times, as the board's rings do."""
    on, ok = values_at(work.mask, ellipse_points(ellipse, middle + np.array([-0.02, 0.0, 0.02])))
    visible = ok.all(axis=0)
    coloured = on.max(axis=0) > 0
    if visible.mean() < 0.5 or coloured[visible].mean() < 0.55:
        return False
    d, _ = values_at(work.diff, ellipse_points(ellipse, middle))
    colour = np.sign(d[visible & coloured])
    changes = int(np.count_nonzero(colour != np.roll(colour, 1)))
    expected = board.N_SEGMENTS * visible.mean()
    return 0.6 * expected <= changes <= 1.6 * expected


def _ring_score(mask: np.ndarray, diff: np.ndarray, ellipse: tuple) -> float:
    """How much the ellipse looks like a double ring's outer edge (0 = not at all)."""
    # Rows of scales about each expected feature; the max over a row tolerates perspective offsets.
    rim_s = np.array([158, 162, 166, 169]) / board.R_DOUBLE_OUTER
    treble_s = np.array([70, 80, 90, 100, 110, 120, 130]) / board.R_DOUBLE_OUTER
    singles_s = np.array([136, 146]) / board.R_DOUBLE_OUTER
    rim, ok_rim = values_at(mask, ellipse_points(ellipse, rim_s))
    visible = ok_rim.all(axis=0)
    if visible.mean() < 0.5:
        return 0.0
    rim_on = rim.max(axis=0)[visible].mean()
    singles, _ = values_at(mask, ellipse_points(ellipse, singles_s))
    singles_on = singles.mean(axis=0)[visible].mean()
    if rim_on < 0.55 or singles_on > 0.35:
        return 0.0  # most outlines on the wall stop here, before the costlier checks
    treble, _ = values_at(mask, ellipse_points(ellipse, treble_s))
    treble_on = treble.max(axis=0)[visible].mean()
    # Red/green alternation along the rim: sign changes of R - G where the rim is coloured.
    d, _ = values_at(diff, ellipse_points(ellipse, board.R_DOUBLE_MIDDLE / board.R_DOUBLE_OUTER))
    colour = np.sign(d[visible & (rim.max(axis=0) > 0)])
    changes = int(np.count_nonzero(colour != np.roll(colour, 1))) if len(colour) > 10 else 0
    expected = board.N_SEGMENTS * visible.mean()
    if treble_on < 0.3 or not 0.6 * expected <= changes <= 1.6 * expected:
        return 0.0
    return float(rim_on * treble_on * (1 - singles_on) * min(1.0, changes / expected))
