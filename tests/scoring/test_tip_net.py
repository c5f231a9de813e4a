"""The tip network's input (desktop_receiver.scoring.detect.tip_net): the crop and the patch. Where it puts
the tip is tested end to end in test_detect_tip.py."""

from __future__ import annotations

import numpy as np

from desktop_receiver.scoring.detect import tip_net


def test_crop_maps_image_and_patch_both_ways() -> None:
    pts = np.array([[400, 300], [520, 260], [470, 390]])
    crop = tip_net.crop_of(pts)
    assert crop.side > 130  # the extent (130 px) and a margin
    xy = np.array([[401.5, 299.0], [519.0, 388.0]])
    np.testing.assert_allclose(crop.to_image(crop.to_patch(xy)), xy)
    m = crop.matrix()
    np.testing.assert_allclose(xy @ m[:, :2].T + m[:, 2], crop.to_patch(xy))
    assert np.all((crop.to_patch(pts) > 0) & (crop.to_patch(pts) < tip_net.INPUT_PX))


def test_patch_shows_both_frames_and_marks_the_pixels() -> None:
    before = np.full((360, 640, 3), 40, np.uint8)
    after = before.copy()
    after[150:160, 300:340] = (10, 200, 250)
    ys, xs = np.mgrid[150:160, 300:340]
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    crop = tip_net.crop_of(pts)
    p = tip_net.patch(before, after, pts, crop)
    assert p.shape == (tip_net.CHANNELS, tip_net.INPUT_PX, tip_net.INPUT_PX) and p.dtype == np.uint8
    cx, cy = np.round(crop.to_patch(np.array([320.0, 155.0]))).astype(int)
    assert tuple(p[:3, cy, cx]) == (40, 40, 40)
    assert abs(int(p[4, cy, cx]) - 200) < 30 and abs(int(p[5, cy, cx]) - 250) < 30
    mx, my = np.floor(crop.to_patch(pts[len(pts) // 2])).astype(int)
    assert p[6, my, mx] == 255 and p[6, 2, 2] == 0
