"""Scoring map: an image point -> the board's score there (S20, D20, T20, 25, 50, MISS) and its points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import board
from .homography import to_board
from .lens import Lens


@dataclass(frozen=True)
class Score:
    """A dart's score: ``label`` like "T20", "D5", "S1", "25", "50" or "MISS", and its ``points``."""

    label: str
    points: int
    board_xy: tuple[float, float]  # the point on the board plane, mm


def score_board_point(x: float, y: float) -> Score:
    """Score of a board point (mm, board coordinates). Points exactly on a wire go to the outer region."""
    r, angle = board.board_to_polar(np.array([x, y]))
    r, angle = float(r), float(angle)
    if r < board.R_INNER_BULL:
        return Score("50", 50, (x, y))
    if r < board.R_OUTER_BULL:
        return Score("25", 25, (x, y))
    if r >= board.R_DOUBLE_OUTER:
        return Score("MISS", 0, (x, y))
    number = board.SEGMENTS[int(board.segment_index(angle))]
    if board.R_TREBLE_INNER <= r < board.R_TREBLE_OUTER:
        return Score(f"T{number}", 3 * number, (x, y))
    if r >= board.R_DOUBLE_INNER:
        return Score(f"D{number}", 2 * number, (x, y))
    return Score(f"S{number}", number, (x, y))


def score_image_point(h_inv: np.ndarray, u: float, v: float, lens: Lens | None = None) -> Score:
    """Score of observed image point (u, v) px, given ``h_inv`` (ideal image px -> board mm,
    CalibrationResult.H_inv) and the lens (CalibrationResult.lens; None: no distortion)."""
    x, y = to_board(h_inv, np.array([[u, v]], dtype=np.float64), lens)[0]
    return score_board_point(float(x), float(y))
