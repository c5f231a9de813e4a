"""Dart detection (desktop_receiver.scoring.detect.analysis) on seeded renders from scripts/bench_tip.py."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from bench_tip import make_pair  # noqa: E402

from desktop_receiver.scoring.detect.analysis import analyse  # noqa: E402
from desktop_receiver.scoring.detect.geometry import Geometry  # noqa: E402


# Seeds the detector gets right today (the benchmark has the rest): a regression guard, not the rate.
@pytest.mark.parametrize("seed", [1000, 1019, 1031])
def test_new_dart_tip_within_a_millimetre(seed: int) -> None:
    pair = make_pair(seed)
    result = analyse(pair.calibration, pair.before, pair.after, Geometry.of(pair.calibration))
    assert result.kind == "dart"
    assert np.hypot(*np.subtract(result.tip_mm, pair.tip_mm)) < 1.0
    assert result.mask.shape == pair.after.shape[:2]


def test_noise_only_pair_is_nothing() -> None:
    pair = make_pair(1003, noise_only=True)
    assert analyse(pair.calibration, pair.before, pair.after).kind == "nothing"


def test_a_hand_over_the_board_is_other() -> None:
    pair = make_pair(1003, noise_only=True)
    after = pair.after.copy()
    centre = np.array(pair.calibration.image_size) / 2
    hand = (centre + np.array([[-120, -60], [140, -90], [180, 120], [-60, 160]])).astype(np.int32)
    cv2.fillPoly(after, [hand], (120, 160, 210))
    assert analyse(pair.calibration, pair.before, after).kind == "other"


@pytest.mark.parametrize("after", [np.zeros((10, 10, 3), np.uint8), np.zeros((720, 1280), np.uint8), None])
def test_unreadable_input_is_no_dart(after: object) -> None:
    pair = make_pair(1003, noise_only=True)
    result = analyse(pair.calibration, pair.before, after)  # type: ignore[arg-type]
    assert result.kind != "dart"
    assert result.tip_mm is None
