"""Dartboard calibration: the homography between the board plane (mm) and a camera image.

``calibrate(image_bgr)`` returns a ``CalibrationResult`` (H, H_inv, keypoints, errors, confidence) or a
``CalibrationFailure`` with its reason. ``board`` holds the geometry, ``scoring`` turns image points into
scores, ``overlay`` draws a calibration, ``tracker`` keeps it stable across video frames.
"""

from .pipeline import calibrate
from .result import CalibrationFailure, CalibrationResult

__all__ = ["CalibrationFailure", "CalibrationResult", "calibrate"]
