"""Dart detection (desktop_receiver.scoring.detect.analysis) on seeded renders from scripts/bench_tip.py."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from bench_tip import camera_noise, make_pair, truth_calibration  # noqa: E402
from render_board import render_scene  # noqa: E402

from desktop_receiver.scoring.detect.analysis import MIN_SLANT, analyse  # noqa: E402
from desktop_receiver.scoring.detect.geometry import Geometry  # noqa: E402
from tests.scoring.visits import Dart, camera  # noqa: E402


def test_new_darts_tips_within_a_millimetre() -> None:
    # 12 renders the tip network was not trained on (its seeds start at 100000); 10 are within 1 mm today.
    errors = []
    for seed in range(1000, 1012):
        pair = make_pair(seed)
        result = analyse(pair.calibration, pair.before, pair.after, Geometry.of(pair.calibration))
        assert result.kind == "dart" and result.mask.shape == pair.after.shape[:2]
        errors.append(float(np.hypot(*np.subtract(result.tip_mm, pair.tip_mm))))
    assert sum(e < 1.0 for e in errors) >= 9, errors
    assert max(errors) < 4.0, errors


def test_a_face_on_dart_is_found_at_its_point_not_at_its_shadow() -> None:
    # Face-on, the flight hides the point and the shadow below is the longest streak; when the pose's guess
    # of the flight's side (a dart leaning up) overruled the network here, the tip landed at the shadow's
    # end, 74 mm away.
    dart = Dart((40.0, 87.0), tilt_deg=7, azimuth_deg=-18)
    params = camera(width=1280, height=720, tilt_deg=3, roll_deg=0, darts=(dart,))
    after, before = render_scene(params), render_scene(replace(params, darts=()))
    calibration = truth_calibration(params, after.h)
    assert Geometry.of(calibration).slant(np.array(after.darts[0].tip_mm)) < MIN_SLANT
    rng = np.random.default_rng(0)
    result = analyse(calibration, camera_noise(before.image, rng), camera_noise(after.image, rng))
    assert result.kind == "dart"
    # Face-on the point is under the flight: found within a few mm (bench_autoscore measures how often
    # that scores right), far from the shadow's end.
    assert np.hypot(*np.subtract(result.tip_mm, after.darts[0].tip_mm)) < 10.0, result.tip_mm


@pytest.mark.parametrize("tilt", [0, 20, 40])
def test_slant_is_the_tangent_of_the_view_angle(tilt: float) -> None:
    params = camera(tilt_deg=tilt, offset=(0.0, 0.0), darts=())
    geometry = Geometry.of(truth_calibration(params, render_scene(params).h))
    assert geometry.slant(np.zeros(2)) == pytest.approx(np.tan(np.radians(tilt)), abs=0.1)


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
