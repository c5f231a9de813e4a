"""Keep a calibration stable across video frames, and notice when the camera moves.

The agent calibrates frames at some rate and hands every outcome to ``CalibrationTracker.update``. Results
that agree with the current calibration (the board within ``moved_px`` everywhere) are averaged into it,
so the published homography does not jitter; a result that disagrees is only believed once
``confirm_frames`` consecutive results agree with each other (one bad frame cannot move the board). The
update says whether to publish (emit ``calibrated``, send ``cam-calibration``) and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import cv2
import numpy as np

from desktop_receiver.events import Calibrated

from . import board
from .homography import to_image
from .result import CalibrationFailure, CalibrationResult, homography_fields

# Board points whose image positions are averaged: the bull and two rings.
_TRACK_POINTS = np.vstack(
    [
        np.zeros((1, 2)),
        board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 22.5)),
        board.polar_to_board(board.R_TREBLE_INNER, np.arange(0, 360, 45.0)),
    ]
)


@dataclass(frozen=True)
class TrackerUpdate:
    """What changed after one frame's outcome."""

    calibration: CalibrationResult | None  # the calibration to use now (None until the first one)
    publish: bool  # True when the calibration changed enough to be sent again
    reason: str  # "first", "moved", "drift", "lost" or "" (nothing to publish)
    stable: bool  # the camera has not moved for a while
    next_interval_s: float  # when the agent should calibrate next

    def event(self) -> Calibrated:
        """The ``calibrated`` event that announces this update (H None when the calibration is lost)."""
        result = self.calibration
        return Calibrated(
            reason=self.reason,
            H=[float(v) for v in result.H.ravel()] if result else None,
            error_px=round(result.error_px, 3) if result else None,
            error_mm=round(result.error_mm, 3) if result else None,
            confidence=round(result.confidence, 3) if result else None,
            width=result.image_size[0] if result else None,
            height=result.image_size[1] if result else None,
            distortion=result.lens_or_none().to_json() if result else None,
            guessed_orientation=result.guessed_orientation if result else None,
        )


class CalibrationTracker:
    """Temporal filter over calibration outcomes of one camera."""

    def __init__(
        self,
        moved_px: float = 4.0,
        smoothing: float = 0.3,
        confirm_frames: int = 2,
        max_failures: int = 10,
        fast_interval_s: float = 0.2,
        slow_interval_s: float = 2.0,
    ) -> None:
        self.moved_px = moved_px
        self.smoothing = smoothing
        self.confirm_frames = confirm_frames
        self.max_failures = max_failures
        self.fast_interval_s = fast_interval_s
        self.slow_interval_s = slow_interval_s
        self._current: CalibrationResult | None = None
        self._points: np.ndarray | None = None  # averaged image points of _TRACK_POINTS
        self._published: np.ndarray | None = None  # their positions when last published
        self._pending: list[CalibrationResult] = []
        self._failures = 0
        self._agreeing = 0

    @property
    def current(self) -> CalibrationResult | None:
        """The calibration in use: None before the first confident result and once the board is lost
        (``max_failures`` failures in a row), until a result comes back."""
        return None if self._failures >= self.max_failures else self._current

    def update(self, outcome: CalibrationResult | CalibrationFailure) -> TrackerUpdate:
        """Fold one frame's calibration outcome in; see TrackerUpdate for what to do next."""
        if not outcome.ok:
            return self._on_failure()
        lost = self._failures >= self.max_failures
        self._failures = 0
        points = to_image(outcome.H, _TRACK_POINTS, outcome.lens)
        if self._current is None or lost:
            return self._adopt(outcome, points, "first")
        if outcome.image_size != self._current.image_size:
            # A new resolution (the phone turned, the encoder adapted): old pixels mean nothing now.
            self._pending.clear()
            return self._adopt(outcome, points, "moved")
        if _distance(points, self._points) < self.moved_px:
            self._pending.clear()
            self._agreeing += 1
            self._points = (1 - self.smoothing) * self._points + self.smoothing * points
            self._current = self._from_points(outcome)
            if _distance(self._points, self._published) >= self.moved_px / 2:
                self._published = self._points.copy()
                return self._update(True, "drift")
            return self._update(False, "")
        # Disagrees with the current calibration: believe it once it repeats.
        last = self._pending[-1] if self._pending else None
        if last and _distance(points, to_image(last.H, _TRACK_POINTS, last.lens)) >= self.moved_px:
            self._pending.clear()
        self._pending.append(outcome)
        self._agreeing = 0
        if len(self._pending) >= self.confirm_frames:
            self._pending.clear()
            return self._adopt(outcome, points, "moved")
        return self._update(False, "")

    def _adopt(self, outcome: CalibrationResult, points: np.ndarray, reason: str) -> TrackerUpdate:
        self._current, self._points, self._published = outcome, points, points.copy()
        self._agreeing = 0
        return self._update(True, reason)

    def _on_failure(self) -> TrackerUpdate:
        self._failures += 1
        self._agreeing = 0
        if self._current is not None and self._failures == self.max_failures:
            return self._update(True, "lost")
        return self._update(False, "")

    def _update(self, publish: bool, reason: str) -> TrackerUpdate:
        stable = self._current is not None and self._agreeing >= 3 and self._failures == 0
        interval = self.slow_interval_s if stable else self.fast_interval_s
        return TrackerUpdate(self.current, publish, reason, stable, interval)

    def _from_points(self, latest: CalibrationResult) -> CalibrationResult:
        """The latest result with H re-fitted to the averaged points (errors, lens and timing kept)."""
        ideal = self._points if latest.lens is None else latest.lens.undistort(self._points)
        h, _ = cv2.findHomography(_TRACK_POINTS, ideal, 0)
        return replace(latest, **homography_fields(h, latest.lens), created_at=time.time())


def board_shift_px(a: CalibrationResult, b: CalibrationResult) -> float:
    """How far (px, at most over the bull and two rings) the board lies apart in two calibrations."""
    return _distance(to_image(a.H, _TRACK_POINTS, a.lens), to_image(b.H, _TRACK_POINTS, b.lens))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance (px) between corresponding image points."""
    return float(np.max(np.linalg.norm(a - b, axis=1)))
