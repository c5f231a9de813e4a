"""Dartboard calibration: the homography between the board plane (mm) and a camera image.

``calibrate(image_bgr)`` returns a ``CalibrationResult`` (H, H_inv, the lens' distortion, keypoints,
errors, confidence, whether the orientation was guessed) or a ``CalibrationFailure`` with its reason;
``calibrate(image, Trace())`` also records every decision (``debug.write_debug`` draws them). ``board``
holds the geometry, ``score_image_point`` turns an image point into a score, ``draw_overlay`` draws a
calibration, ``CalibrationTracker`` keeps it stable across video frames. Command line: ``python -m
desktop_receiver.calibration.cli calibrate IMAGE... [--json]``.
"""

from .lens import Lens
from .overlay import draw_overlay
from .pipeline import calibrate
from .result import CalibrationFailure, CalibrationResult
from .scoring import Score, score_board_point, score_image_point
from .trace import Trace
from .tracker import CalibrationTracker, TrackerUpdate

__all__ = [
    "CalibrationFailure",
    "CalibrationResult",
    "CalibrationTracker",
    "Lens",
    "Score",
    "Trace",
    "TrackerUpdate",
    "calibrate",
    "draw_overlay",
    "score_board_point",
    "score_image_point",
]
