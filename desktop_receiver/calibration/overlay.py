"""Debug overlay: the fitted rings, wires and segment numbers drawn onto a frame."""

from __future__ import annotations

import cv2
import numpy as np

from . import board
from .homography import to_image
from .result import CalibrationFailure, CalibrationResult

RING_COLOUR = (0, 255, 255)
WIRE_COLOUR = (255, 255, 0)
TEXT_COLOUR = (255, 0, 255)
KEYPOINT_COLOUR = (0, 0, 255)


def draw_overlay(image_bgr: np.ndarray, result: CalibrationResult | CalibrationFailure) -> np.ndarray:
    """A copy of ``image_bgr`` with the calibration drawn on it (or the failure reason written)."""
    out = image_bgr.copy()
    if not result.ok:
        cv2.putText(
            out,
            f"no calibration: {result.reason}",
            (10, 30),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8,
            (0, 0, 255),
            2,
            cv2.LINE_AA,
        )
        return out
    h, lens = result.H, result.lens
    angles = np.arange(0, 360.5, 1.0)
    for radius in board.RING_RADII:
        pts = to_image(h, board.polar_to_board(radius, angles), lens)
        cv2.polylines(out, [_int(pts)], False, RING_COLOUR, 1, cv2.LINE_AA)
    # Wires as polylines: through a distorting lens they are curves.
    radii = np.linspace(board.R_OUTER_BULL, board.R_DOUBLE_OUTER, 24)
    for k in range(board.N_SEGMENTS):
        pts = to_image(h, board.polar_to_board(radii, board.wire_angle(k)), lens)
        cv2.polylines(out, [_int(pts)], False, WIRE_COLOUR, 1, cv2.LINE_AA)
        centre = to_image(
            h, board.polar_to_board(np.array([board.R_DOUBLE_OUTER + 12.0]), k * board.SEGMENT_DEG), lens
        )
        text = str(board.SEGMENTS[k])
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        org = (int(centre[0, 0] - tw / 2), int(centre[0, 1] + th / 2))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6, TEXT_COLOUR, 2, cv2.LINE_AA)
    for name, (x, y) in result.keypoints.items():
        cv2.drawMarker(out, (int(round(x)), int(round(y))), KEYPOINT_COLOUR, cv2.MARKER_CROSS, 12, 2)
        if name != "bull":
            cv2.putText(
                out, name, (int(x) + 6, int(y) - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, KEYPOINT_COLOUR, 1
            )
    k = 0.0 if lens is None else lens.k
    label = (
        f"err {result.error_px:.2f}px {result.error_mm:.2f}mm conf {result.confidence:.2f} k {k:+.3f} "
        f"{result.ms:.0f}ms" + (" orientation guessed" if result.guessed_orientation else "")
    )
    cv2.putText(out, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, RING_COLOUR, 2, cv2.LINE_AA)
    return out


def _int(pts: np.ndarray) -> np.ndarray:
    return np.round(pts).astype(np.int32)
