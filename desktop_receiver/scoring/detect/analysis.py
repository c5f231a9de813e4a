"""analyse(): a calibrated board and two frames of its camera in; whether one new dart is there, and
where its tip entered the board, out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration.board import BOARD_RADIUS_MM
from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.scoring.detect import tip_net
from desktop_receiver.scoring.detect.change import compare, components
from desktop_receiver.scoring.detect.geometry import Geometry
from desktop_receiver.scoring.detect.streak import find_streak

MIN_DART_MM2 = 40.0  # a dart's changed area is hundreds of mm²; less is noise, light or a wire's edge
MAX_DART_MM2 = 6000.0  # more is a hand, a body or the camera moved
MIN_REGION_MM2 = 3.0  # smaller regions are noise
JOIN_MM = 4.0  # regions this close are one dart's parts
NEAR_MM = 60.0  # regions this close to the largest one's box may be its parts too (a faint shaft or point)
MIN_LENGTH_MM = 12.0  # a dart's streak is longer
END_ON_LENGTH_MM = 6.0  # ... unless the camera looks along it (below MIN_SLANT): a dark flight face-on
MIN_SUPPORT = 0.12  # share of the dart's changed pixels on its axis band
# A tip this share of the dart's extent past its centre towards the flight is at the flight's end (real
# webcam darts where the network erred: 0.4-0.9). Seen at up to 35 degrees, a flight's wings spread about
# the barrel, and a right tip lies up to a quarter past the centre.
FLIGHT_SIDE = 0.33
# Below this slant (Geometry.slant: the camera looks nearly along the dart) the pose cannot tell which way
# the flight lies: a dart's own lean (5-30 degrees, any way up) decides it. About 22 degrees off the normal.
MIN_SLANT = 0.4
PHOTO_TOLERANCE_PX = 2  # two photos registered by ECC still differ by a px or two at the wires
OTHER_DART_MARGIN_MM = 2.0  # a dart's changed pixels miss its blurred edge by about this much
# A knocked dart turns about its point, which stays put: a tip found this close to an earlier dart's point is
# that dart's, moved, not a new one.
KNOCK_MM = 5.0
KNOCK_CONFIDENCE = 0.5  # a dart found beside a knocked one: below what darts apps take without asking
# A new dart is a whole dart's change: a region under this share of the largest one is noise or a shadow's
# edge, not the dart that knocked an earlier one.
KNOCK_SHARE = 0.25


@dataclass(frozen=True)
class Analysis:
    """What analyse() found: ``kind`` "dart" (one new dart), "nothing" (no real change) or "other" (a big
    or non-dart change); for a dart its tip in board mm and in observed camera px; ``confidence`` 0-1;
    ``changed_mm2`` the changed area (mm² of board); ``mask`` the changed pixels (uint8 0/255, camera
    image size)."""

    kind: str
    tip_mm: tuple[float, float] | None
    tip_px: tuple[float, float] | None
    confidence: float
    changed_mm2: float
    mask: np.ndarray


def analyse(
    calibration: CalibrationResult, before: np.ndarray, after: np.ndarray, cache: Geometry | None = None
) -> Analysis:
    """Compare ``before`` and ``after`` (BGR uint8 frames of the calibrated camera) and find a new dart.

    ``cache``: ``Geometry.of(calibration)``, built once per calibration and passed to every call to spare
    its cost (built here when None). Pure; never raises on odd input (wrong shapes or types give "other").
    """
    return _guarded(calibration, before, after, cache, lambda g: [_analyse(g, before, after)])[0]


def _guarded(
    calibration: CalibrationResult,
    before: object,
    after: object,
    cache: Geometry | None,
    work: Callable[[Geometry], list[Analysis]],
) -> list[Analysis]:
    """``work`` on the calibration's geometry (``cache`` when it is that calibration's) once the frames
    are checked; one "other" Analysis for frames of the wrong kind or a calibration that fails."""
    w, h = calibration.image_size
    empty = np.zeros((max(h, 0), max(w, 0)), np.uint8)
    if not _frames_ok(before, after, (w, h)):
        return [Analysis("other", None, None, 0.0, 0.0, empty)]
    try:
        geometry = (
            cache if cache is not None and cache.calibration is calibration else Geometry.of(calibration)
        )
        return work(geometry)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return [Analysis("other", None, None, 0.0, 0.0, empty)]


def _frames_ok(before: object, after: object, size: tuple[int, int]) -> bool:
    shape = (size[1], size[0], 3)
    return (
        all(isinstance(f, np.ndarray) and f.dtype == np.uint8 and f.shape == shape for f in (before, after))
        and min(size) > 0
    )


@dataclass(frozen=True)
class Candidate:
    """The change between two frames, before a dart is looked for in it: ``mask`` (camera image size),
    ``changed_mm2``, and ``groups`` the pixels (image x, y) of each region that may be a dart, largest
    first (empty when the change is too small or too big: ``verdict`` then says what it is)."""

    mask: np.ndarray
    changed_mm2: float
    px_per_mm: float
    groups: list[np.ndarray]
    verdict: Analysis | None


def dart_pixels(
    geometry: Geometry, before: np.ndarray, after: np.ndarray, max_darts: int = 1, tolerance_px: int = 0
) -> Candidate:
    """The change from ``before`` to ``after`` and the pixels of up to ``max_darts`` darts it may hold
    (see Candidate); ``tolerance_px``: see change.compare."""
    w, h = geometry.calibration.image_size
    x0, y0, x1, y1 = geometry.roi
    full = np.zeros((h, w), np.uint8)
    origin = np.array([x0, y0], np.float64)
    ppm = geometry.px_per_mm(np.zeros(2))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return Candidate(full, 0.0, ppm, [], Analysis("other", None, None, 0.0, 0.0, full))
    full[y0:y1, x0:x1] = compare(before[y0:y1, x0:x1], after[y0:y1, x0:x1], tolerance_px)
    mm2_per_px = 1.0 / ppm**2
    changed = float(np.count_nonzero(full)) * mm2_per_px

    def verdict(kind: str, confidence: float) -> Candidate:
        found = Analysis(kind, None, None, confidence, changed, full)
        return Candidate(full, changed, ppm, [], found)

    if changed < MIN_DART_MM2:
        return verdict("nothing", 1.0 - changed / MIN_DART_MM2)
    if changed > MAX_DART_MM2 * max_darts:
        return verdict("other", min(1.0, changed / (2 * MAX_DART_MM2 * max_darts)))
    _, regions = components(full[y0:y1, x0:x1], int(MIN_REGION_MM2 * ppm**2), int(round(JOIN_MM * ppm)))
    groups = [g + origin for g in _dart_groups(regions, NEAR_MM * ppm)[:max_darts]]
    groups = [g for g in groups if len(g) * mm2_per_px >= MIN_DART_MM2]
    if not groups:
        return verdict("nothing", 0.5)
    return Candidate(full, changed, ppm, groups, None)


def analyse_photos(
    calibration: CalibrationResult, before: np.ndarray, after: np.ndarray, max_darts: int = 3
) -> list[Analysis]:
    """The new darts (up to ``max_darts``) between two registered photos of a board (score subcommand):
    one Analysis per changed region, largest first; one "nothing" or "other" Analysis when there is no
    dart. Pure; never raises on odd input."""
    return _guarded(calibration, before, after, None, lambda g: _photo_darts(g, before, after, max_darts))


def _photo_darts(geometry: Geometry, before: np.ndarray, after: np.ndarray, max_darts: int) -> list[Analysis]:
    found = dart_pixels(geometry, before, after, max_darts, PHOTO_TOLERANCE_PX)
    if found.verdict is not None:
        return [found.verdict]
    darts = [
        _dart_of(geometry, found, pts, before, _only(k, found, before, after))
        for k, pts in enumerate(found.groups)
    ]
    return [d for d in darts if d.kind == "dart"] or darts[:1]


def _only(k: int, found: Candidate, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``after`` with the new darts other than group ``k`` taken out (their pixels as ``before`` has
    them): the tip network learnt one new dart at a time, and takes a new neighbour's point for its own."""
    others = np.zeros(after.shape[:2], np.uint8)
    for j, pts in enumerate(found.groups):
        if j != k:
            others[pts[:, 1].astype(int), pts[:, 0].astype(int)] = 255
    grow = 2 * int(round(OTHER_DART_MARGIN_MM * found.px_per_mm)) + 1
    others = cv2.dilate(others, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0
    out = after.copy()
    out[others] = before[others]
    return out


def _analyse(geometry: Geometry, before: np.ndarray, after: np.ndarray) -> Analysis:
    found = dart_pixels(geometry, before, after)
    if found.verdict is not None:
        return found.verdict
    return _dart_of(geometry, found, found.groups[0], before, after)


def _dart_of(
    geometry: Geometry, found: Candidate, pts: np.ndarray, before: np.ndarray, after: np.ndarray
) -> Analysis:
    """The dart whose changed pixels are ``pts`` (image x, y), or "other" when they are not one."""
    ppm, changed, full = found.px_per_mm, found.changed_mm2, found.mask
    guess = geometry.to_board(pts.mean(axis=0))
    streak = find_streak(pts, geometry.dart_direction(guess), ppm)
    # Seen along the dart (a low slant), its streak is no longer than its flight is wide.
    min_length = MIN_LENGTH_MM if geometry.slant(guess) > MIN_SLANT else END_ON_LENGTH_MM
    if streak is None or streak.length < min_length * ppm or streak.support < MIN_SUPPORT:
        return Analysis("other", None, None, 0.3, changed, full)
    tip_px = _tip(geometry, before, after, pts, ppm)
    tip_mm = geometry.to_board(tip_px)
    if float(np.hypot(*tip_mm)) > BOARD_RADIUS_MM:
        return Analysis("other", None, None, 0.5, changed, full)  # off the board: a cable, a lamp, a hand
    confidence = float(min(1.0, streak.support * 2) * min(1.0, len(pts) / ppm**2 / (2 * MIN_DART_MM2)))
    return Analysis(
        "dart",
        (float(tip_mm[0]), float(tip_mm[1])),
        (float(tip_px[0]), float(tip_px[1])),
        confidence,
        changed,
        full,
    )


def analyse_knock(
    calibration: CalibrationResult,
    before: np.ndarray,
    after: np.ndarray,
    earlier_mm: Sequence[tuple[float, float]],
    cache: Geometry | None = None,
) -> Analysis:
    """A throw that knocked an earlier dart: the change holds the new dart and the earlier one, moved, so
    it is no single dart's streak (or its tip is an earlier dart's point). The new dart is the first
    changed region, largest first and at least KNOCK_SHARE of the largest, whose tip lies off the board's
    edge and KNOCK_MM off every earlier dart's point (``earlier_mm``, board mm); its confidence is
    KNOCK_CONFIDENCE, for the player to confirm. "other" when there is none. Arguments otherwise as
    analyse()."""
    return _guarded(calibration, before, after, cache, lambda g: [_knock(g, before, after, earlier_mm)])[0]


def _knock(
    geometry: Geometry, before: np.ndarray, after: np.ndarray, earlier_mm: Sequence[tuple[float, float]]
) -> Analysis:
    found = dart_pixels(geometry, before, after, max_darts=3)
    if found.verdict is not None:
        return found.verdict
    for pts in found.groups:
        if len(pts) < KNOCK_SHARE * len(found.groups[0]):
            break
        tip_px = _tip(geometry, before, after, pts, found.px_per_mm)
        tip_mm = geometry.to_board(tip_px)
        if float(np.hypot(*tip_mm)) > BOARD_RADIUS_MM or near_any(tip_mm, earlier_mm, KNOCK_MM):
            continue
        mm, px = (float(tip_mm[0]), float(tip_mm[1])), (float(tip_px[0]), float(tip_px[1]))
        return Analysis("dart", mm, px, KNOCK_CONFIDENCE, found.changed_mm2, found.mask)
    return Analysis("other", None, None, 0.3, found.changed_mm2, found.mask)


def near_any(point: Sequence[float], others: Sequence[Sequence[float]], distance: float) -> bool:
    """Whether ``point`` lies within ``distance`` of any of ``others`` (same units)."""
    return any(float(np.hypot(point[0] - o[0], point[1] - o[1])) < distance for o in others)


def _dart_groups(regions: list[np.ndarray], near: float) -> list[np.ndarray]:
    """The regions grouped as darts' parts, largest first: each group the largest region left and the
    regions whose centre lies within ``near`` px of its bounding box."""
    left = list(regions)
    groups = []
    while left:
        main = left[0]
        lo, hi = main.min(axis=0) - near, main.max(axis=0) + near
        inside = [bool(np.all(r.mean(axis=0) >= lo) and np.all(r.mean(axis=0) <= hi)) for r in left]
        groups.append(np.vstack([r for r, k in zip(left, inside, strict=True) if k]))
        left = [r for r, k in zip(left, inside, strict=True) if not k]
    return groups


def _tip(
    geometry: Geometry, before: np.ndarray, after: np.ndarray, pts: np.ndarray, ppm: float
) -> np.ndarray:
    """The tip (image px) of the dart whose changed pixels are ``pts``: the tip network's, unless the camera's
    pose says that it lies at the flight's end (seen on real darts unlike the rendered ones: the tip is
    then sought at the other end, the front of the pixels against the flight's direction). Seen nearly
    face-on the pose says nothing of the kind (MIN_SLANT): a dart's shadow then runs from its tip, and
    the network alone tells which end is which."""
    centre = pts.mean(axis=0)
    guess = geometry.to_board(centre)
    towards_flight = geometry.dart_direction(guess)
    along = (pts - centre) @ towards_flight
    tip = tip_net.coarse_tip(before, after, pts)
    at_flight = (tip - centre) @ towards_flight > FLIGHT_SIDE * float(np.ptp(along))
    if at_flight and geometry.slant(guess) > MIN_SLANT:
        tip = pts[int(np.argmin(along))].astype(np.float64)
    return tip_net.fine_tip(before, after, pts, tip, ppm)
