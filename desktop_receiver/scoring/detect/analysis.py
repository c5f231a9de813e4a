"""What a still frame shows that the one before did not: a new dart (and where its tip is), nothing, or
something else (a hand, a dart pulled or knocked, the camera moved)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.calibration.pose import camera_centre
from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.scoring.detect.change import compare
from desktop_receiver.scoring.detect.tip import locate
from desktop_receiver.scoring.detect.view import BoardView

NOTHING_MM2 = 15.0
MAX_DART_MM2 = 6000.0


@dataclass(frozen=True)
class Analysis:
    """The outcome of comparing two still frames."""

    kind: str  # "dart", "nothing" or "other"
    tip_mm: tuple[float, float] | None
    tip_px: tuple[float, float] | None
    confidence: float
    changed_mm2: float
    mask: np.ndarray  # uint8 0/255, camera px: what changed


@dataclass(frozen=True)
class Prepared:
    """What analyse needs of one calibration (built once per calibration)."""

    calibration: CalibrationResult
    view: BoardView
    camera: np.ndarray


def prepare(calibration: CalibrationResult) -> Prepared:
    """The per-calibration state of ``analyse``."""
    return Prepared(
        calibration, BoardView.of(calibration), camera_centre(calibration.H, calibration.lens_or_none())
    )


def analyse(calibration: CalibrationResult, before: np.ndarray, after: np.ndarray, cache=None) -> Analysis:
    """Compares two still camera frames (BGR uint8) of the board of ``calibration``."""
    prepared = cache or prepare(calibration)
    view = prepared.view
    w, h = prepared.calibration.image_size
    if before.shape != (h, w, 3) or after.shape != (h, w, 3):
        return Analysis("other", None, None, 0.0, 0.0, np.zeros((h, w), np.uint8))
    change = compare(view.rectify(before), view.rectify(after), view.inside)
    mask = cv2.warpPerspective(change.mask, np.eye(3), (w, h)) * 0
    if change.area_mm2 < NOTHING_MM2:
        return Analysis("nothing", None, None, 1.0, change.area_mm2, mask)
    if change.area_mm2 > MAX_DART_MM2 or not change.blobs:
        return Analysis("other", None, None, 0.0, change.area_mm2, mask)
    fix = locate(change, change.blobs[:1], view.to_mm, prepared.camera)
    if fix is None:
        return Analysis("other", None, None, 0.0, change.area_mm2, mask)
    tip_mm = view.to_mm(np.array(fix.tip))
    tip_px = view.image_px(tip_mm)
    return Analysis(
        "dart",
        (float(tip_mm[0]), float(tip_mm[1])),
        (float(tip_px[0]), float(tip_px[1])),
        float(np.clip(fix.support, 0.0, 1.0)),
        change.area_mm2,
        mask,
    )
