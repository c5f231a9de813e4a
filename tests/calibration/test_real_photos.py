"""The calibration on the real photos of ../shared/realboards (data of other repositories, read in place):
detection, error against the labels, radial bias, no wrong board on any photo, lens distortion found on
the wide-angle webcams. Thresholds sit a little below what the pipeline reaches (bench_calibration --real
prints the figures), so that a regression fails and noise does not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop_receiver.calibration import board, calibrate

MIN_DETECTION = 0.92  # in-scope photos calibrated
MAX_MEDIAN_MM = 0.9
MAX_P95_MM = 2.0
MAX_BIAS_MM = 0.3
# RommelTJ's 4K ceiling camera sees a dark board whose green is as dark as its black: found by its red arcs
# (calibration.arcs). Measured 2.5-2.8 mm against the labels, and the bound is looser than MAX_P95_MM
# because the labels at 13/6 and 8/11 lie 3-4.5 mm inside the outer double wire that the photos show
# (on the radial wires' ends).
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
    found = [(p, o) for p, o in outcomes if o.ok and p.cal_points_px is not None]
    read = [(p, o) for p, o in found if not o.guessed_orientation]
    assert len(read) >= 0.9 * len(found)
    wrong = [
        p.file for p, o in read if realboards.label_error(o.keypoints, p.cal_points_px).wrong_orientation
    ]
    assert not wrong


def test_a_ring_without_numbers_gives_a_flagged_guess(real_photos, realboards):
    # The number ring painted over (through the labelled homography): nothing to read, so the 20 may only
    # be guessed, flagged and with a low confidence, or the calibration fails.
    labelled = [p for p in real_photos if p.in_scope and p.cal_points_px is not None][::10]
    guessed = 0
    for photo in labelled:
        image = photo.read()
        h = cv2.getPerspectiveTransform(
            realboards.board_points().astype(np.float32), photo.cal_points_px.astype(np.float32)
        )
        angles = np.arange(0, 361, 2.0)
        outer = board.polar_to_board(board.R_BOARD_EDGE + 2, angles)
        inner = board.polar_to_board(board.OUTER_DOUBLE_WIRE_MM + 3, angles[::-1])
        ring = cv2.perspectiveTransform(np.concatenate([outer, inner])[None].astype(np.float32), h)[0]
        cv2.fillPoly(image, [np.round(ring).astype(np.int32)], (20, 20, 20))
        outcome = calibrate(image)
        if outcome.ok:
            assert outcome.guessed_orientation and outcome.confidence <= 0.3, photo.file
            assert outcome.to_json()["guessed_orientation"] is True
            guessed += 1
    assert guessed >= len(labelled) // 2


def test_the_wide_angle_webcams_get_a_barrel_lens(outcomes):
    # YangMaier's ring-mounted webcams bend the rings visibly; the phone photos of dart-sense hardly.
    webcams = [o for p, o in outcomes if o.ok and "YangMaier" in p.file and "cam_" in p.file]
    assert webcams, "no webcam photo calibrated"
    assert all(o.lens is not None and o.lens.k < -0.1 for o in webcams)


def test_the_dark_board_photos_calibrate(outcomes, realboards):
    dark = [(p, o) for p, o in outcomes if p.file.startswith(DARK_BOARD)]
    assert len(dark) == 4 and all(o.ok for _, o in dark), [(p.file, o.ok) for p, o in dark]
    for photo, outcome in dark:
        error = realboards.label_error(outcome.keypoints, photo.cal_points_px)
        assert not error.wrong_orientation and error.mean_mm <= MAX_DARK_BOARD_MM, f"{photo.file}: {error}"


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_the_orientation_is_read_at_any_roll(real_photos, realboards, quarter_turns):
    # Real photos turned by 90, 180 and 270 degrees, as a camera under or beside the board sees it: the
    # 20 is read from the numbers, never assumed up (a guess would put it near the top: wrong here).
    labelled = [p for p in real_photos if p.in_scope and p.cal_points_px is not None][::4]
    read = wrong = 0
    for photo in labelled:
        image, points = realboards.turned(photo.read(), photo.cal_points_px, quarter_turns)
        outcome = calibrate(image)
        if not outcome.ok:
            continue
        read += not outcome.guessed_orientation
        if (
            not outcome.guessed_orientation
            and realboards.label_error(outcome.keypoints, points).wrong_orientation
        ):
            wrong += 1
    assert wrong == 0
    assert read >= 0.8 * len(labelled), f"{read} of {len(labelled)} read"
