"""The renderer's 3-D darts: one camera (its 3x4 matrix agrees with H), tips drawn where the truth says,
through the lens as Lens.distort says, with a shadow, the same for the same seed, and in the CLI's truth."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import project
from tests.renderer import load_script

Dart = load_script("render_darts").Dart
CLEAN = dict(noise_sigma=0.0, jpeg_quality=0, blur_sigma=0.3, glare=0.0, light_gradient=0.0, colour_cast=0.0)


def _clean(rb, **kw):
    return rb.RenderParams(seed=5, tilt_deg=35, tilt_azimuth_deg=90, roll_deg=5, fill=0.8, **CLEAN, **kw)


def _diff(rb, p):
    """The rendered darts' truth and |with darts - without| (max over channels)."""
    scene = rb.render_scene(p)
    empty = rb.render_scene(replace(p, darts=()))
    return scene, np.abs(scene.image.astype(int) - empty.image.astype(int)).max(axis=2)


def test_projection_agrees_with_h_on_the_board_plane(rb):
    xy = board.polar_to_board(np.array([0, 50, 120, 170, 225]), np.array([0, 77, 160, 250, 333]))
    for seed in range(8):
        p = rb.random_params(seed)
        proj, h = rb.camera_projection(p), rb.camera_homography(p)
        hom = np.column_stack([xy, np.zeros(len(xy)), np.ones(len(xy))]) @ proj.T
        assert np.allclose(hom[:, :2] / hom[:, 2:], project(h, xy), atol=1e-9)
        assert np.allclose(
            rb.render(replace(p, width=320, height=240))[1],
            rb.camera_homography(replace(p, width=320, height=240)),
        )
        centre = -np.linalg.inv(proj[:, :3]) @ proj[:, 3]
        assert centre[2] < -100  # the camera is in front of the board (z < 0), darts come towards it
        assert np.all(hom[:, 2] > 0)


def test_the_tip_is_where_the_drawn_point_meets_the_board(rb):
    dart = Dart(tip=tuple(board.polar_to_board(60, 0)), tilt_deg=20, azimuth_deg=300)
    scene, diff = _diff(rb, _clean(rb, darts=(dart,)))
    (truth,) = scene.darts
    assert truth.tip_mm == dart.tip
    tip, rear = np.array(truth.tip_px), np.array(truth.rear_px)
    assert np.allclose(tip, project(scene.h, np.array([dart.tip]))[0])
    along = (rear - tip) / np.linalg.norm(rear - tip)

    def at(t):
        x, y = np.round(tip + t * along).astype(int)
        return diff[y - 1 : y + 2, x - 1 : x + 2].max()

    # The steel point is drawn from the tip towards the rear (the 20's black single is behind it) ...
    assert min(at(t) for t in np.arange(0.0, 6.0)) > 40
    # ... and nothing but at most a faint shadow just beyond it, on the board.
    assert max(at(t) for t in np.arange(-9.0, -3.0)) < 25
    # The dart reaches its rear end and no further.
    assert at(np.linalg.norm(rear - tip) - 3) > 40


def test_darts_throw_a_soft_shadow_on_the_board(rb):
    dart = Dart(tip=tuple(board.polar_to_board(60, 18)), flight_colour=(230, 230, 235))
    scene, _ = _diff(rb, _clean(rb, darts=(dart,)))
    empty = rb.render(_clean(rb, darts=()))[0].astype(float)
    ratio = (scene.image.astype(float) + 1) / (empty + 1)
    darker = np.all((ratio > 0.5) & (ratio < 0.92), axis=2)
    assert darker.sum() > 200  # the shadow darkens the cream by up to 45 % ...
    assert np.all(ratio.min(axis=2)[darker] > 0.5)  # ... and never blacks it out
    partial = np.all((ratio > 0.75) & (ratio < 0.95), axis=2)
    assert partial.sum() > 50  # a penumbra


def test_darts_are_the_same_for_a_seed_and_differ_between_seeds(rb):
    p = replace(rb.random_params(11), width=640, height=480, n_darts=3)
    a, b = rb.render_scene(p), rb.render_scene(p)
    assert np.array_equal(a.image, b.image) and a.darts == b.darts and len(a.darts) == 3
    other = rb.render_scene(replace(p, seed=12))
    assert {d.tip_mm for d in other.darts}.isdisjoint({d.tip_mm for d in a.darts})
    for d in a.darts:
        r, _ = board.board_to_polar(np.array(d.tip_mm))
        assert r <= board.R_DOUBLE_OUTER and 5 <= d.dart.tilt_deg <= 30
        assert np.allclose(d.tip_px, project(a.h, np.array([d.tip_mm]))[0])
    image, h = rb.render(p)  # render() unpacks as before
    assert np.array_equal(image, a.image) and np.array_equal(h, a.h)


def test_random_params_are_those_of_the_calibration_benchmark(rb):
    # The dart fields added later do not consume the params' random draws.
    for seed in range(20):
        p = rb.random_params(seed)
        assert p.darts is None and p.n_darts in (0, 1, 2, 3)
    assert rb.RenderParams().darts is None


def test_the_lens_moves_the_tip_as_lens_distort_does(rb):
    dart = Dart(tip=tuple(board.polar_to_board(150, 250)), tilt_deg=10, azimuth_deg=40)
    p = _clean(rb, darts=(dart,))
    (straight,) = rb.render_scene(p).darts
    bent = replace(p, lens_k=-0.25)
    scene, diff = _diff(rb, bent)
    (seen,) = scene.darts
    expected = rb.lens_of(bent).distort(np.array([straight.tip_px]))[0]
    assert np.allclose(seen.tip_px, expected, atol=1e-9)
    assert np.allclose(seen.rear_px, rb.lens_of(bent).distort(np.array([straight.rear_px]))[0], atol=1e-9)
    assert np.linalg.norm(expected - np.array(straight.tip_px)) > 3  # the lens does move it
    x, y = np.round(expected).astype(int)
    assert diff[y - 2 : y + 3, x - 2 : x + 3].max() > 40  # and the distorted image has the point there


def test_the_cli_truth_lists_the_darts(tmp_path, rb):
    seed = next(s for s in range(100) if rb.random_params(s).n_darts == 3)
    assert rb.main(["--out", str(tmp_path), "-n", "1", "--seed", str(seed), "--size", "320x240"]) == 0
    truth = json.loads((tmp_path / "truth.json").read_text())[f"render_{seed:05d}.png"]
    assert len(truth["darts"]) == 3
    expected = rb.render_scene(replace(rb.random_params(seed, 320, 240))).darts
    assert [tuple(d["tip_px"]) for d in truth["darts"]] == [d.tip_px for d in expected]
    assert set(truth["darts"][0]["dart"]) >= {"tip", "tilt_deg", "barrel_mm", "flight_colour"}
