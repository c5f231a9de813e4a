"""CalibrationTracker: stable across frames, follows a moved camera, ignores one bad frame."""

from __future__ import annotations

import numpy as np

from desktop_receiver.calibration import CalibrationFailure, CalibrationResult
from desktop_receiver.calibration.homography import project
from desktop_receiver.calibration.tracker import CalibrationTracker


def _result(dx: float = 0.0, dy: float = 0.0, jitter: float = 0.0, seed: int = 0) -> CalibrationResult:
    h = np.array([[1.5, 0.1, 640 + dx], [-0.05, 1.3, 360 + dy], [1e-4, 2e-4, 1.0]])
    if jitter:
        h = h + np.random.default_rng(seed).normal(0, jitter, (3, 3)) * np.array(
            [[1e-3, 1e-3, 1], [1e-3, 1e-3, 1], [0, 0, 0]]
        )
    return CalibrationResult(h, np.linalg.inv(h), {}, 0.3, 0.2, 0.9, (1280, 720), 20.0)


def _bull(result: CalibrationResult) -> np.ndarray:
    return project(result.H, np.zeros((1, 2)))[0]


def test_first_result_is_published_then_jitter_is_smoothed():
    tracker = CalibrationTracker(moved_px=4.0)
    first = tracker.update(_result())
    assert first.publish and first.reason == "first" and first.calibration is not None
    published = [tracker.update(_result(jitter=0.5, seed=i)) for i in range(20)]
    assert sum(u.publish for u in published) <= 3
    assert np.hypot(*(_bull(tracker.current) - [640, 360])) < 0.6
    assert published[-1].stable and published[-1].next_interval_s == tracker.slow_interval_s
    assert tracker.current.keypoints and "bull" in tracker.current.keypoints


def test_a_moved_camera_is_followed_after_confirmation():
    tracker = CalibrationTracker(moved_px=4.0, confirm_frames=2)
    tracker.update(_result())
    first = tracker.update(_result(dx=30))
    assert not first.publish and np.allclose(_bull(tracker.current), [640, 360], atol=0.5)
    second = tracker.update(_result(dx=30))
    assert second.publish and second.reason == "moved"
    assert np.allclose(_bull(tracker.current), [670, 360], atol=0.5)
    assert not second.stable and second.next_interval_s == tracker.fast_interval_s


def test_a_new_resolution_is_adopted_at_once():
    tracker = CalibrationTracker()
    tracker.update(_result())
    half = _result()
    h = np.diag([0.5, 0.5, 1.0]) @ half.H
    half = CalibrationResult(h, np.linalg.inv(h), {}, 0.3, 0.2, 0.9, (640, 360), 20.0)
    update = tracker.update(half)
    assert update.publish and update.reason == "moved" and tracker.current.image_size == (640, 360)


def test_one_bad_frame_is_ignored():
    tracker = CalibrationTracker(moved_px=4.0, confirm_frames=2)
    tracker.update(_result())
    assert not tracker.update(_result(dx=-50)).publish
    assert not tracker.update(_result()).publish
    assert not tracker.update(_result(dx=80)).publish
    assert np.allclose(_bull(tracker.current), [640, 360], atol=0.5)


def test_failures_keep_the_calibration_until_lost():
    tracker = CalibrationTracker(max_failures=3)
    assert not tracker.update(CalibrationFailure("no board found")).publish  # nothing yet
    tracker.update(_result())
    updates = [tracker.update(CalibrationFailure("no board found")) for _ in range(3)]
    assert [u.publish for u in updates] == [False, False, True]
    assert updates[0].calibration is not None
    assert updates[-1].reason == "lost" and updates[-1].calibration is None
    back = tracker.update(_result())
    assert back.publish and back.reason == "first" and back.calibration is not None


def test_cam_calibration_payload():
    payload = _result().to_cam_calibration()
    assert set(payload) == {"H", "imageSize", "errorPx", "errorMm", "distortion", "createdAt"}
    assert len(payload["H"]) == 9 and payload["imageSize"] == {"w": 1280, "h": 720}
