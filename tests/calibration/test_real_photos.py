"""The calibration on the real photos of ../shared/realboards (data of other repositories, read in place):
detection, error against the labels, radial bias, no wrong board on any photo, lens distortion found on
the wide-angle webcams. Thresholds sit a little below what the pipeline reaches (bench_calibration --real
prints the figures), so that a regression fails and noise does not."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_receiver.calibration import board, calibrate
from desktop_receiver.calibration.homography import to_image
from desktop_receiver.calibration.orient import rotation

MIN_DETECTION = 0.68  # in-scope photos calibrated
MAX_MEDIAN_MM = 0.9
MAX_P95_MM = 2.0
MAX_BIAS_MM = 0.3
# RommelTJ's 4K ceiling camera sees a dark board whose green is as dark as its black: found by its red arcs
# (calibration.arcs). Measured 2.5-2.8 mm against the labels, and the bound is looser than MAX_P95_MM
# because the labels at 13/6 and 8/11 lie 3-4.5 mm inside the outer double wire that the photos show
# (on the radial wires' ends); the orientation is compared modulo the colour period (36 degrees), since
# this test is about finding and fitting the board, not reading its numbers.
DARK_BOARD = "RommelTJ__ProjectDartboard/"
MAX_DARK_BOARD_MM = 3.2


@pytest.fixture(scope="module")
def outcomes(real_photos) -> list[tuple]:
    """(photo, outcome) for every photo, calibrated once for the module."""
    return [(photo, calibrate(photo.read())) for photo in real_photos]


def test_most_in_scope_photos_calibrate(outcomes):
    in_scope = [o for p, o in outcomes if p.in_scope]
    found = sum(o.ok for o in in_scope)
    assert found >= MIN_DETECTION * len(in_scope), f"{found} of {len(in_scope)}"


def test_labelled_error_and_radial_bias(outcomes, realboards):
    # The dark board's labels are off by more than these thresholds (see DARK_BOARD): checked on their own.
    errors = [
        realboards.label_error(o.keypoints, p.cal_points_px)
        for p, o in outcomes
        if p.in_scope and o.ok and p.cal_points_px is not None and not p.file.startswith(DARK_BOARD)
    ]
    mean = np.array([e.mean_mm for e in errors if not e.wrong_orientation])
    radial = np.array([e.radial_mm for e in errors if not e.wrong_orientation])
    assert len(mean) >= 40
    assert np.median(mean) <= MAX_MEDIAN_MM and np.percentile(mean, 95) <= MAX_P95_MM
    assert abs(radial.mean()) <= MAX_BIAS_MM, f"radial bias {radial.mean():+.2f} mm"


def test_an_orientation_read_from_the_numbers_is_never_wrong(outcomes, realboards):
    read = [(p, o) for p, o in outcomes if o.ok and not o.guessed_orientation and p.cal_points_px is not None]
    assert len(read) >= 8
    wrong = [
        p.file for p, o in read if realboards.label_error(o.keypoints, p.cal_points_px).wrong_orientation
    ]
    assert not wrong


def test_a_guessed_orientation_is_flagged_with_a_low_confidence(outcomes):
    guessed = [o for _, o in outcomes if o.ok and o.guessed_orientation]
    assert guessed and all(o.confidence <= 0.3 and o.to_json()["guessed_orientation"] for o in guessed)


def test_the_wide_angle_webcams_get_a_barrel_lens(outcomes):
    # YangMaier's ring-mounted webcams bend the rings visibly; the phone photos of dart-sense hardly.
    webcams = [o for p, o in outcomes if o.ok and "YangMaier" in p.file and "cam_" in p.file]
    assert webcams, "no webcam photo calibrated"
    assert all(o.lens is not None and o.lens.k < -0.1 for o in webcams)


def _error_modulo_colour_period(outcome, photo, realboards) -> float:
    """The labelled error (mm) of the best of the board's ten rotations by the colour period (36 deg)."""
    points = realboards.board_points()
    errors = []
    for k in range(board.COLOUR_ROTATIONS):
        keypoints = to_image(outcome.H @ rotation(k * board.COLOUR_PERIOD_DEG), points, outcome.lens)
        named = dict(zip(realboards.KEYPOINTS, keypoints, strict=True))
        errors.append(realboards.label_error(named, photo.cal_points_px).mean_mm)
    return min(errors)


def test_the_dark_board_photos_calibrate_within_the_colour_period(outcomes, realboards):
    dark = [(p, o) for p, o in outcomes if p.file.startswith(DARK_BOARD)]
    assert len(dark) == 4 and all(o.ok for _, o in dark), [(p.file, o.ok) for p, o in dark]
    for photo, outcome in dark:
        error = _error_modulo_colour_period(outcome, photo, realboards)
        assert error <= MAX_DARK_BOARD_MM, f"{photo.file}: {error:.2f} mm"
