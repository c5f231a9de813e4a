"""The synthetic renderer: deterministic frames, a true H that puts the board where it is drawn, y4m."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import project


def test_render_is_deterministic_and_sized(rb):
    p = replace(rb.random_params(3), width=640, height=480)
    a, h = rb.render(p)
    b, _ = rb.render(p)
    assert a.shape == (480, 640, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert h.shape == (3, 3)


def test_true_h_puts_the_rings_where_they_are_drawn(rb):
    p = replace(rb.RenderParams(seed=1), tilt_deg=40, roll_deg=10, fill=0.6, noise_sigma=0, jpeg_quality=0)
    img, h = rb.render(p)
    b, g, r = (img[..., i].astype(int) for i in range(3))

    # Mid double ring of the 20 (red) and the 1 (green); the cream single of the 1; the black of the 20.
    def at(radius, angle):
        x, y = np.round(project(h, board.polar_to_board(radius, angle)[None])[0]).astype(int)
        return b[y, x], g[y, x], r[y, x]

    assert at(166, 0)[2] > at(166, 0)[1] + 60  # red
    assert at(166, 18)[1] > at(166, 18)[2] + 40  # green
    assert sum(at(60, 18)) > 3 * 120  # cream
    assert sum(at(60, 0)) < 3 * 70  # black


def test_fill_sets_the_double_ring_height(rb):
    p = replace(rb.RenderParams(seed=2), tilt_deg=30, fill=0.5)
    h = rb.camera_homography(p)
    ring = project(h, board.polar_to_board(board.R_DOUBLE_OUTER, np.arange(0, 360, 1.0)))
    assert abs(np.ptp(ring[:, 1]) / p.height - 0.5) < 0.02
    assert (ring >= 0).all() and (ring[:, 0] < p.width).all() and (ring[:, 1] < p.height).all()


def test_no_board_frames_have_no_h(rb):
    img, h = rb.render(rb.random_params(5, 320, 240, has_board=False))
    assert h is None and img.shape == (240, 320, 3)


def test_y4m_clip(tmp_path, rb):
    p = replace(rb.RenderParams(seed=4), width=320, height=240)
    path = tmp_path / "clip.y4m"
    assert rb.write_y4m(path, p, n_frames=3, moving=True) == 3
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    assert header == b"YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420jpeg"
    frame = len(b"FRAME\n") + 320 * 240 * 3 // 2
    assert len(rest) == 3 * frame
    assert all(rest[i * frame : i * frame + 6] == b"FRAME\n" for i in range(3))


def test_y4m_from_frames(tmp_path, rb):
    frames = [np.full((240, 320, 3), v, np.uint8) for v in (0, 128)]
    assert rb.write_y4m(tmp_path / "f.y4m", frames) == 2
