"""Scoring map: an image point -> the board's score there (S20, D20, T20, 25, 50, MISS) and its points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .homography import to_board
from .lens import Lens


@dataclass(frozen=True)
class Score:
    """A dart's score: ``label`` like "T20", "D5", "S1", "25", "50" or "MISS", and its ``points``;
    ``number`` the segment's number (25 for both bulls; for a miss the segment beside it) and ``bed``
    the region it lies in (one of BEDS)."""

    label: str
    points: int
    board_xy: tuple[float, float]  # the point on the board plane, mm
    number: int
    bed: str


# From the centre out: the bulls, the single bed inside the treble, the treble, the single bed outside
# it, the double, and the board beyond the doubles.
BEDS = ("inner-bull", "outer-bull", "single-inner", "triple", "single-outer", "double", "outside")


def score_board_point(x: float, y: float) -> Score:
    """Score of a board point (mm, board coordinates). Points exactly on a wire go to the outer region."""
    r, angle = board.board_to_polar(np.array([x, y]))
    r, angle = float(r), float(angle)
    xy = (x, y)
    if r < board.R_INNER_BULL:
        return Score("50", 50, xy, 25, "inner-bull")
    if r < board.R_OUTER_BULL:
        return Score("25", 25, xy, 25, "outer-bull")
    number = board.SEGMENTS[int(board.segment_index(angle))]
    if r >= board.R_DOUBLE_OUTER:
        return Score("MISS", 0, xy, number, "outside")
    if board.R_TREBLE_INNER <= r < board.R_TREBLE_OUTER:
        return Score(f"T{number}", 3 * number, xy, number, "triple")
    if r >= board.R_DOUBLE_INNER:
        return Score(f"D{number}", 2 * number, xy, number, "double")
    inside_treble = r < board.R_TREBLE_INNER
    return Score(f"S{number}", number, xy, number, "single-inner" if inside_treble else "single-outer")


def score_image_point(h_inv: np.ndarray, u: float, v: float, lens: Lens | None = None) -> Score:
    """Score of observed image point (u, v) px, given ``h_inv`` (ideal image px -> board mm,
    CalibrationResult.H_inv) and the lens (CalibrationResult.lens; None: no distortion)."""
    x, y = to_board(h_inv, np.array([[u, v]], dtype=np.float64), lens)[0]
    return score_board_point(float(x), float(y))
