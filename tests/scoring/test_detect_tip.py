"""Dart detection (desktop_receiver.scoring.detect.analysis) on seeded renders from scripts/bench_tip.py."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from bench_tip import camera_noise, make_pair, truth_calibration  # noqa: E402
from render_board import render_scene  # noqa: E402

from desktop_receiver.scoring.detect.analysis import MIN_SLANT, Analysis, analyse  # noqa: E402
from desktop_receiver.scoring.detect.geometry import Geometry  # noqa: E402
from tests.scoring.visits import Dart, camera  # noqa: E402


@dataclass(frozen=True)
class Found:
    """A render's true tip and what analyse() found (mm on the board, px in the image)."""

    tip_mm: np.ndarray
    tip_px: np.ndarray
    result: Analysis


@pytest.fixture(scope="module")
def unseen() -> list[Found]:
    """24 renders the tip networks were not trained on (their seeds start at 100000), analysed."""
    out = []
    for seed in range(1000, 1024):
        pair = make_pair(seed)
        geometry = Geometry.of(pair.calibration)
        result = analyse(pair.calibration, pair.before, pair.after, geometry)
        assert result.kind == "dart" and result.mask.shape == pair.after.shape[:2]
        tip_mm = np.array(pair.tip_mm)
        out.append(Found(tip_mm, geometry.to_image(tip_mm), result))
    return out


def test_new_darts_tips_within_a_millimetre(unseen: list[Found]) -> None:
    errors = [float(np.hypot(*np.subtract(f.result.tip_mm, f.tip_mm))) for f in unseen]
    # 21 of the 24 are within 1 mm today; one (seed 1012) is found at the wrong end.
    assert sum(e < 1.0 for e in errors) >= 19, errors
    assert sum(e > 4.0 for e in errors) <= 1, errors


def test_tips_have_no_bias_in_the_image(unseen: list[Found]) -> None:
    # A half-pixel slip in the networks' geometry (patch pixel centres, the training's mirroring and turns)
    # shows as all tips moved the same way in the image: it was 0.3 px to the lower right, enough to put
    # one wire-close dart in ten on the wrong side.
    offsets = np.array([np.subtract(f.result.tip_px, f.tip_px) for f in unseen])
    assert np.all(np.abs(np.median(offsets, axis=0)) < 0.15), np.median(offsets, axis=0)


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
