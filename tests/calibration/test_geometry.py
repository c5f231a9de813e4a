"""The board's geometry (one module holds it) and the scoring map."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desktop_receiver.calibration import board
from desktop_receiver.calibration.homography import project
from desktop_receiver.calibration.scoring import score_board_point, score_image_point


def test_segment_order_and_ring_radii():
    assert board.SEGMENTS == (20, 1, 18, 4, 13, 6, 10, 15, 2, 17, 3, 19, 7, 16, 8, 11, 14, 9, 12, 5)
    assert sorted(board.SEGMENTS) == list(range(1, 21))
    # The standard's figures: the outside of the outer double and treble wires at 170 and 107 mm, rings
    # 8 mm wide inside their wires, bulls of 12.7 and 31.8 mm inside diameter; RING_RADII are wire centres.
    w = board.WIRE_WIDTH_MM
    inner_bull, outer_bull, treble_in, treble_out, double_in, double_out = board.RING_RADII
    assert double_out + w / 2 == pytest.approx(170.0) and treble_out + w / 2 == pytest.approx(107.0)
    assert (double_out - w / 2) - (double_in + w / 2) == pytest.approx(8.0)
    assert (treble_out - w / 2) - (treble_in + w / 2) == pytest.approx(8.0)
    assert 2 * (inner_bull - w / 2) == pytest.approx(12.7) and 2 * (outer_bull - w / 2) == pytest.approx(31.8)
    assert 0.8 <= w <= 1.6
    assert board.SEGMENT_DEG * len(board.SEGMENTS) == 360


@pytest.mark.parametrize(
    ("angle", "number"),
    [
        (0, 20),
        (8.9, 20),
        (9.1, 1),
        (18, 1),
        (90, 6),
        (180, 3),
        (270, 11),
        (351.1, 20),
        (350.9, 5),
        (359.9, 20),
    ],
)
def test_segment_at_angle(angle, number):
    assert board.SEGMENTS[int(board.segment_index(angle))] == number


def test_twenty_is_at_minus_y_and_six_at_plus_x():
    assert np.allclose(board.polar_to_board(100, 0), [0, -100])
    assert np.allclose(board.polar_to_board(100, 90), [100, 0])
    r, a = board.board_to_polar(np.array([0.0, 100.0]))
    assert r == pytest.approx(100) and a == pytest.approx(180)


def test_colours_alternate_with_red_on_twenty():
    assert board.is_red_segment(board.SEGMENTS.index(20))
    assert not board.is_red_segment(board.SEGMENTS.index(1))
    assert not board.is_red_segment(board.SEGMENTS.index(5))


@pytest.mark.parametrize(
    ("xy", "distance", "normal"),
    [
        (board.polar_to_board(50, 9), 0.0, (np.cos(np.radians(9)), np.sin(np.radians(9)))),  # the 20/1 wire
        (board.polar_to_board(50, 10), 50 * np.sin(np.radians(1)), None),  # clockwise of it: positive
        (board.polar_to_board(100, 350.8), -100 * np.sin(np.radians(0.2)), None),  # the 5/20 wire at 351
        ((0.0, -(board.R_TREBLE_OUTER + 0.3)), 0.3, (0.0, -1.0)),  # just outside the treble's outer wire
        ((3.0, 0.0), 3.0 - board.R_INNER_BULL, (1.0, 0.0)),  # inside the inner bull: its ring wire
        (board.polar_to_board(board.R_OUTER_BULL - 0.2, 9), -0.2, None),  # no radial wire inside the bull
    ],
)
def test_nearest_wire(xy, distance, normal):
    d, n = board.nearest_wire(xy)
    assert d == pytest.approx(distance, abs=1e-9)
    assert np.linalg.norm(n) == pytest.approx(1.0)
    if normal is not None:
        assert n == pytest.approx(normal)
    # The normal points to where the distance grows: a step along it moves off (or across) the wire.
    assert board.nearest_wire(np.asarray(xy) + 0.01 * n)[0] == pytest.approx(d + 0.01, abs=1e-6)


def test_deepdarts_calibration_points_on_the_outer_double_wire():
    points = board.calibration_points()
    assert list(points) == ["bull", "5/20", "13/6", "17/3", "8/11"]
    assert board.boundary_angle(5, 20) == pytest.approx(351)
    assert board.boundary_angle(13, 6) == pytest.approx(81)
    assert board.boundary_angle(17, 3) == pytest.approx(171)
    assert board.boundary_angle(8, 11) == pytest.approx(261)
    for name, p in points.items():
        assert np.hypot(*p) == pytest.approx(0 if name == "bull" else 170)
    # 5/20 is 9 degrees left of the top.
    assert points["5/20"][0] < 0 and points["5/20"][1] < 0
    with pytest.raises(ValueError):
        board.boundary_angle(20, 3)


@pytest.mark.parametrize(
    ("r", "angle", "label", "points"),
    [
        (0, 0, "50", 50),
        (6.0, 123, "50", 50),
        (10, 0, "25", 25),
        (50, 0, "S20", 20),
        (103, 0, "T20", 60),
        (166, 0, "D20", 40),
        (171, 0, "MISS", 0),
        (103, 90, "T6", 18),
        (103, 180, "T3", 9),
        (166, 270, "D11", 22),
        (130, 18 * 19, "S5", 5),
        # On and near the wires (board.RING_RADII are their centre lines): a point exactly on a wire
        # scores the outer region.
        (board.R_TREBLE_INNER, 0, "T20", 60),
        (board.R_TREBLE_INNER - 0.1, 0, "S20", 20),
        (board.R_TREBLE_OUTER, 0, "S20", 20),
        (board.R_DOUBLE_OUTER - 0.1, 0, "D20", 40),
        (board.R_DOUBLE_OUTER, 0, "MISS", 0),
        (board.R_OUTER_BULL, 0, "S20", 20),
        (50, 8.99, "S20", 20),
        (50, 9.01, "S1", 1),
    ],
)
def test_score_board_point(r, angle, label, points):
    x, y = board.polar_to_board(r, angle)
    score = score_board_point(float(x), float(y))
    assert (score.label, score.points) == (label, points)


def _camera_h(tilt_deg: float, roll_deg: float) -> np.ndarray:
    t, r = np.radians(tilt_deg), np.radians(roll_deg)
    rot = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    tilt = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    rt = rot @ tilt
    k = np.array([[900.0, 0, 640], [0, 900.0, 360], [0, 0, 1]])
    return k @ np.column_stack([rt[:, 0], rt[:, 1], [0, 0, 900.0]])


@settings(max_examples=200, deadline=None)
@given(
    r=st.floats(0, 200),
    angle=st.floats(0, 360, exclude_max=True),
    tilt=st.floats(0, 60),
    roll=st.floats(-30, 30),
)
def test_image_scoring_agrees_with_board_scoring(r, angle, tilt, roll):
    # Away from the wires, where a rounding error could legitimately flip the region.
    off_wire = min(abs(r - b) for b in board.RING_RADII) > 0.01
    from_ray = (angle - 9) % 18  # degrees clockwise past the previous wire; wires lie at 9 + 18 k
    off_ray = min(from_ray, 18 - from_ray) * np.pi / 180 * r > 0.01 or r < board.R_OUTER_BULL
    assume(off_wire and (off_ray or r >= board.R_DOUBLE_OUTER))
    h = _camera_h(tilt, roll)
    p = board.polar_to_board(r, angle)
    u, v = project(h, p[None])[0]
    assert score_image_point(np.linalg.inv(h), u, v).label == score_board_point(*p).label
