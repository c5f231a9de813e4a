"""The lens model and its fit: distortion recovered on renders made through a known lens, nothing invented
on renders without one, and the lens used by keypoints, scoring and the overlay."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from desktop_receiver.calibration import board, calibrate, score_image_point
from desktop_receiver.calibration.homography import to_image
from desktop_receiver.calibration.lens import Lens


def _board_points() -> np.ndarray:
    return board.polar_to_board(np.linspace(0, 170, 10)[:, None], np.arange(0, 360, 10.0)[None]).reshape(
        -1, 2
    )


def test_distort_and_undistort_are_inverse():
    lens = Lens((600.0, 340.0), 734.0, -0.3)
    pts = np.random.default_rng(1).uniform([0, 0], [1280, 720], (500, 2))
    assert np.allclose(lens.undistort(lens.distort(pts)), pts, atol=1e-6)
    assert np.allclose(Lens.none(1280, 720).distort(pts), pts)


def test_malformed_distortion_is_refused():
    assert Lens.from_json(Lens((1.0, 2.0), 3.0, -0.1).to_json()) == Lens((1.0, 2.0), 3.0, -0.1)
    for bad in ({"centre": [1, 2], "scale": 0, "k": 0}, {"centre": [1], "scale": 1, "k": 0}, {"model": "x"}):
        with pytest.raises(ValueError):
            Lens.from_json(bad)


@pytest.mark.parametrize("seed", [1, 8, 9])
@pytest.mark.parametrize("k", [-0.15, -0.3])
def test_distortion_is_recovered_on_renders(rb, seed, k):
    p = replace(rb.random_params(seed), lens_k=k, fill=0.7, offset=(0.0, 0.0))
    image, h_true = rb.render(p)
    result = calibrate(image)
    assert result.ok, result.reason
    assert result.lens is not None and result.lens.k < 0.4 * k  # clearly a barrel
    # Everywhere on the board, within 2.5 px (about 1 mm here) of where the true homography and lens put it.
    truth = to_image(h_true, _board_points(), rb.lens_of(p))
    assert np.abs(to_image(result.H, _board_points(), result.lens) - truth).max() < 2.5
    bull = truth[0]
    assert score_image_point(result.H_inv, *bull, result.lens).label == "50"
    assert result.to_json()["distortion"]["k"] == pytest.approx(result.lens.k, abs=1e-5)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_lens_is_invented_without_distortion(rb, seed):
    result = calibrate(rb.render(replace(rb.random_params(seed), fill=0.7))[0])
    assert result.ok and (result.lens is None or abs(result.lens.k) < 0.03)
