"""analyse(): a calibrated board and two frames of its camera in; whether one new dart is there, and
where its tip entered the board, out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.scoring.detect.change import compare, components
from desktop_receiver.scoring.detect.geometry import Geometry
from desktop_receiver.scoring.detect.tip import locate

MIN_DART_MM2 = 40.0  # a dart's changed area is hundreds of mm²; less is noise, light or a wire's edge
MAX_DART_MM2 = 6000.0  # more is a hand, a body or the camera moved
MIN_REGION_MM2 = 3.0  # smaller regions are noise
JOIN_MM = 4.0  # regions this close are one dart's parts
NEAR_MM = 60.0  # regions this close to the largest one's box may be its parts too (a faint shaft or point)
MIN_LENGTH_MM = 12.0  # a dart's streak is longer
MIN_SUPPORT = 0.12  # share of the dart's changed pixels on its axis band


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
    w, h = calibration.image_size
    empty = np.zeros((max(h, 0), max(w, 0)), np.uint8)
    if not _frames_ok(before, after, (w, h)):
        return Analysis("other", None, None, 0.0, 0.0, empty)
    try:
        geometry = (
            cache if cache is not None and cache.calibration is calibration else Geometry.of(calibration)
        )
        return _analyse(geometry, before, after)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return Analysis("other", None, None, 0.0, 0.0, empty)


def _frames_ok(before: object, after: object, size: tuple[int, int]) -> bool:
    shape = (size[1], size[0], 3)
    return (
        all(isinstance(f, np.ndarray) and f.dtype == np.uint8 and f.shape == shape for f in (before, after))
        and min(size) > 0
    )


def _analyse(geometry: Geometry, before: np.ndarray, after: np.ndarray) -> Analysis:
    w, h = geometry.calibration.image_size
    x0, y0, x1, y1 = geometry.roi
    full = np.zeros((h, w), np.uint8)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return Analysis("other", None, None, 0.0, 0.0, full)
    change = compare(before[y0:y1, x0:x1], after[y0:y1, x0:x1])
    full[y0:y1, x0:x1] = change.mask
    ppm = geometry.px_per_mm(np.zeros(2))
    mm2_per_px = 1.0 / ppm**2
    changed = float(np.count_nonzero(change.mask)) * mm2_per_px
    if changed < MIN_DART_MM2:
        return Analysis("nothing", None, None, 1.0 - changed / MIN_DART_MM2, changed, full)
    if changed > MAX_DART_MM2:
        return Analysis("other", None, None, min(1.0, changed / (2 * MAX_DART_MM2)), changed, full)
    _, regions = components(change.mask, int(MIN_REGION_MM2 * ppm**2), int(round(JOIN_MM * ppm)))
    if not regions or len(regions[0]) * mm2_per_px < MIN_DART_MM2:
        return Analysis("nothing", None, None, 0.5, changed, full)
    pts = _dart_pixels(regions, NEAR_MM * ppm)
    origin = np.array([x0, y0], np.float64)
    guess = geometry.to_board(pts.mean(axis=0) + origin)
    fix = locate(change, pts, geometry.dart_direction(guess), ppm)
    if fix is None or fix.length < MIN_LENGTH_MM * ppm or fix.support < MIN_SUPPORT:
        return Analysis("other", None, None, 0.3, changed, full)
    tip_px = np.array(fix.tip) + origin
    tip_mm = geometry.to_board(tip_px)
    confidence = float(min(1.0, fix.support * 2) * min(1.0, len(pts) * mm2_per_px / (2 * MIN_DART_MM2)))
    return Analysis(
        "dart",
        (float(tip_mm[0]), float(tip_mm[1])),
        (float(tip_px[0]), float(tip_px[1])),
        confidence,
        changed,
        full,
    )


def _dart_pixels(regions: list[np.ndarray], near: float) -> np.ndarray:
    """The pixels of the largest region and of the regions within ``near`` px of its bounding box."""
    main = regions[0]
    lo, hi = main.min(axis=0) - near, main.max(axis=0) + near
    parts = [r for r in regions if np.all(r.mean(axis=0) >= lo) and np.all(r.mean(axis=0) <= hi)]
    return np.vstack(parts)
