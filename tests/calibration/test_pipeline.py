"""calibrate() on synthetic frames: the recovered homography within tolerance, clean failures otherwise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from desktop_receiver.calibration import CalibrationFailure, CalibrationResult, board, calibrate, numbers
from desktop_receiver.calibration.homography import board_error_mm, project
from desktop_receiver.calibration.numbers import choose_twenty, read_scores
from desktop_receiver.calibration.orient import rotation

# Tolerance on the board plane over r <= 170 mm: mean and worst point.
MEAN_MM, MAX_MM = 1.0, 2.5


@pytest.mark.parametrize(
    ("tilt", "azimuth", "roll", "fill", "size", "darts"),
    [
        (0, 0, 0, 0.6, (1280, 720), 0),
        (30, 20, 15, 0.5, (1280, 720), 1),
        (45, 110, -25, 0.4, (1280, 720), 2),
        (60, 200, 10, 0.7, (1280, 720), 0),
        (20, 300, -5, 0.3, (640, 480), 0),
        (50, 45, 20, 0.9, (1920, 1080), 3),
    ],
)
def test_recovers_h(rb, tilt, azimuth, roll, fill, size, darts):
    p = replace(
        rb.RenderParams(seed=11),
        width=size[0],
        height=size[1],
        tilt_deg=tilt,
        tilt_azimuth_deg=azimuth,
        roll_deg=roll,
        fill=fill,
        n_darts=darts,
        glare=60,
        noise_sigma=4,
        blur_sigma=0.8,
        jpeg_quality=75,
    )
    image, h_true = rb.render(p)
    result = calibrate(image)
    assert isinstance(result, CalibrationResult), result
    err = board_error_mm(result.H, h_true)
    assert err.mean() < MEAN_MM and err.max() < MAX_MM
    assert result.confidence >= 0.5
    assert result.image_size == size
    bull = project(h_true, np.zeros((1, 2)))[0]
    assert np.hypot(*(np.array(result.keypoints["bull"]) - bull)) < 1.0
    assert np.allclose(result.H @ result.H_inv / (result.H @ result.H_inv)[2, 2], np.eye(3), atol=1e-6)
    assert 0 <= result.error_mm < 2 and 0 <= result.error_px < 3 and result.ms > 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_board(rb, seed):
    image, _ = rb.render(replace(rb.random_params(seed, has_board=False), distractors=True))
    result = calibrate(image)
    assert isinstance(result, CalibrationFailure)
    assert result.reason == "no board found"


def test_plain_images_fail_cleanly():
    assert calibrate(np.zeros((720, 1280, 3), np.uint8)).reason == "no board found"
    assert calibrate(np.full((480, 640, 3), 255, np.uint8)).reason == "no board found"
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert not calibrate(noise).ok
    assert calibrate(np.zeros((20, 20, 3), np.uint8)).reason == "image too small"
    assert calibrate(np.zeros((480, 640), np.uint8)).reason == "expected an 8-bit BGR image"


def _board(rb, **kw) -> tuple[np.ndarray, np.ndarray]:
    base = replace(rb.RenderParams(seed=21), tilt_deg=30, tilt_azimuth_deg=60, roll_deg=5, fill=0.6)
    return rb.render(replace(base, **kw))


def test_tiny_board(rb):
    image, _ = _board(rb, fill=0.08)
    result = calibrate(image)
    assert not result.ok and result.reason in ("board too small", "no board found")


def test_blurred_board(rb):
    # Blurred enough to spoil the edges (sigma 5 px) but not the colours: the reason says so.
    result = calibrate(_board(rb, blur_sigma=5.0)[0])
    assert not result.ok and result.reason == "too blurred"
    # Blurred beyond recognition.
    assert not calibrate(_board(rb, blur_sigma=9.0)[0]).ok


@pytest.mark.parametrize("offset", [(1.3, 0.0), (0.0, -1.6), (-1.2, 1.3)])
def test_board_partly_outside(rb, offset):
    image, h = _board(rb, offset=offset)
    ring = project(h, board.polar_to_board(170, np.arange(0, 360, 1.0)))
    inside = ((ring >= 0) & (ring < [1280, 720])).all(axis=1).mean()
    assert 0.3 < inside < 0.8  # the render really is cut: 20 to 70 % of the double ring is outside the frame
    result = calibrate(image)
    assert not result.ok and result.reason == "board partly outside the frame"


def test_no_confident_wrong_answer_on_random_frames(rb):
    # Whatever the outcome on difficult random frames, a success must be right.
    for seed in range(300, 312):
        image, h_true = rb.render(rb.random_params(seed))
        result = calibrate(image)
        if result.ok:
            assert board_error_mm(result.H, h_true).mean() < 5.0, seed


@pytest.mark.parametrize(
    "roll, numbers",
    [
        (-28.0, "radial"),
        (0.0, "radial"),
        (27.0, "radial"),
        (160.0, "radial"),
        (-28.0, "upright"),
        (100.0, "upright"),
    ],
)
def test_the_twenty_is_read_from_the_number_ring(rb, roll, numbers):
    # Every rotation by 36 degrees fits the red/green pattern; only the number ring tells the 20, however
    # the numbers stand and whatever the roll.
    image, h_true = _board(rb, roll_deg=roll, fill=0.5, tilt_deg=35, numbers=numbers)
    expected_style = "upright" if numbers == "upright" else "radial, lower half turned over"
    for k in range(10):
        orientation = choose_twenty(image, h_true @ rotation(36.0 * k))
        h = orientation.H
        assert np.allclose(h / h[2, 2], h_true / h_true[2, 2], atol=1e-9) and orientation.certainty > 0.5
        assert not orientation.guessed and orientation.style == expected_style


def test_a_few_numbers_give_a_flagged_guess_not_a_wrong_reading(rb):
    # A frame cut to the top of the number ring: a few numbers in view. At a roll of 28 degrees the
    # candidate nearest to up is the wrong one: a reading must be right, anything else a flagged guess.
    image, h_true = _board(rb, roll_deg=28.0, fill=0.6, tilt_deg=20)
    ring = board.polar_to_board(np.array([180.0, 215.0])[:, None], np.arange(-47, 48, 1.0)[None, :])
    x0, y0 = np.floor(project(h_true, ring.reshape(-1, 2)).min(axis=0)).astype(int)
    x1, y1 = np.ceil(project(h_true, ring.reshape(-1, 2)).max(axis=0)).astype(int)
    assert x0 > 0 and y0 > 0  # the render holds the whole top of the ring
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    h_crop = np.array([[1.0, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ h_true
    assert 0 < read_scores(crop, h_crop)[1] < 8
    for k in range(10):
        orientation = choose_twenty(crop, h_crop @ rotation(36.0 * k))
        h = orientation.H
        right = np.allclose(h / h[2, 2], h_crop / h_crop[2, 2], atol=1e-9)
        assert right or (orientation.guessed and orientation.certainty <= numbers.MAX_GUESS_CERTAINTY)
