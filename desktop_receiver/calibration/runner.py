"""The agent's calibration runner: calibrates received frames in a consumer thread at a bounded rate,
keeps the calibration stable across frames (CalibrationTracker), and hands every calibration worth
publishing to a callback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop_receiver.calibration import CalibrationResult, calibrate
from desktop_receiver.calibration.tracker import CalibrationTracker, TrackerUpdate
from desktop_receiver.media.frames import Frame
from signaling.cli import option


@dataclass(frozen=True)
class CalibrationOptions:
    """How often the agent calibrates."""

    every_s: float = option(
        1.0,
        "longest pause between two calibrations; faster while the camera moves",
        flag="--calibrate-every",
        metavar="S",
    )

    def __post_init__(self) -> None:
        if self.every_s <= 0:
            raise ValueError("--calibrate-every must be more than 0 seconds")


class FrameCalibrator:
    """A FrameConsumer handler: runs in its own thread, so OpenCV never blocks the event loop.
    `on_publish(update)` is called in that thread with every calibration worth publishing."""

    def __init__(self, options: CalibrationOptions, on_publish: Callable[[TrackerUpdate], None]) -> None:
        self.options = options  # checked by CalibrationOptions itself
        self.tracker = CalibrationTracker(slow_interval_s=options.every_s)
        self._on_publish = on_publish
        self._next_at = 0.0
        self._lock = threading.Lock()
        self._current: CalibrationResult | None = None

    @property
    def current(self) -> CalibrationResult | None:
        """The calibration in use now (for overlays), or None."""
        with self._lock:
            return self._current

    def __call__(self, frame: Frame) -> None:
        """Calibrates the frame if it is time to; publishes through the event loop when it changed."""
        now = time.monotonic()
        if now < self._next_at:
            return
        update = self.tracker.update(calibrate(frame.image))
        self._next_at = now + min(update.next_interval_s, self.options.every_s)
        with self._lock:
            self._current = update.calibration
        if update.publish:
            self._on_publish(update)
