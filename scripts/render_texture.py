"""The synthetic dartboard's texture (scripts/render_board.py): the board drawn once in board millimetres,
as a BGRA mipmap; desktop_receiver.calibration.board holds the geometry and colours."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from desktop_receiver.calibration import board  # noqa: E402

TEXTURE_PX_PER_MM = 4.0
TEXTURE_EXTENT_MM = 232.0


@functools.cache
def texture_levels(numbers: str) -> tuple[np.ndarray, ...]:
    """The board as BGRA textures (alpha = board), at 4, 2, 1 and 0.5 px/mm: a mipmap against aliasing."""
    n = int(2 * TEXTURE_EXTENT_MM * TEXTURE_PX_PER_MM)
    c = (n - 1) / 2
    v, u = np.mgrid[0:n, 0:n].astype(np.float32)
    x, y = (u - c) / TEXTURE_PX_PER_MM, (v - c) / TEXTURE_PX_PER_MM
    r, ang = board.board_to_polar(np.stack([x, y], axis=-1))
    seg = board.segment_index(ang)
    red = board.is_red_segment(seg)
    img = np.empty((n, n, 3), np.float32)
    img[:] = board.SURROUND
    single = np.where(red[..., None], board.BLACK, board.CREAM)
    ring = np.where(red[..., None], board.RED, board.GREEN)
    for r_in, r_out, colour in (
        (board.R_OUTER_BULL, board.R_TREBLE_INNER, single),
        (board.R_TREBLE_INNER, board.R_TREBLE_OUTER, ring),
        (board.R_TREBLE_OUTER, board.R_DOUBLE_INNER, single),
        (board.R_DOUBLE_INNER, board.R_DOUBLE_OUTER, ring),
    ):
        sel = (r >= r_in) & (r < r_out)
        img[sel] = colour[sel]
    img[r < board.R_OUTER_BULL] = board.GREEN
    img[r < board.R_INNER_BULL] = board.RED
    # Sisal fibre: a fixed fine grain so that segments are not perfectly flat.
    grain = np.random.default_rng(1234).normal(0, 1, (n, n)).astype(np.float32)
    img *= (1 + 0.06 * cv2.GaussianBlur(grain, (0, 0), 1.5))[..., None]
    # Round silver wires: brightest along their centre line.
    half = board.WIRE_WIDTH_MM / 2
    dist = np.min(np.abs(r[..., None] - np.array(board.RING_RADII + (board.R_NUMBER_INNER,))), axis=-1)
    radial = np.radians(board.degrees_from_wire(ang)) * r
    radial[(r < board.R_OUTER_BULL) | (r > board.R_DOUBLE_OUTER)] = np.inf
    dist = np.minimum(dist, radial)
    wire = dist < half
    shade = np.cos(np.clip(dist / half, 0, 1) * 1.2)[..., None]
    img = np.where(wire[..., None], np.array(board.WIRE, np.float32) * (0.55 + 0.45 * shade), img)
    bgr = np.clip(img, 0, 255).astype(np.uint8)
    _draw_numbers(bgr, c, numbers)
    alpha = np.where(r <= board.R_BOARD_EDGE, 255, 0).astype(np.uint8)
    level = np.dstack([bgr, alpha])
    levels = [level]
    for _ in range(3):
        h, w = levels[-1].shape[:2]
        levels.append(cv2.resize(levels[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    return tuple(levels)


def _draw_numbers(bgr: np.ndarray, c: float, style: str) -> None:
    """The numbers centred on the number ring, standing ``style``'s way (see RenderParams.numbers)."""
    if style not in ("radial", "upright"):
        raise ValueError(f"numbers: expected 'radial' or 'upright', got {style!r}")
    r_mid = (board.R_NUMBER_INNER + board.R_NUMBER_OUTER) / 2 + 4
    font, scale, thick = cv2.FONT_HERSHEY_DUPLEX, 2.6, 7
    side = 160  # texture px: a two-digit number turned any way
    for i, number in enumerate(board.SEGMENTS):
        angle = i * board.SEGMENT_DEG
        turn = 0.0 if style == "upright" else angle if not 90 < angle < 270 else angle - 180
        glyph = np.zeros((side, side), np.float32)
        text = str(number)
        (tw, th), _ = cv2.getTextSize(text, font, scale, thick)
        cv2.putText(glyph, text, ((side - tw) // 2, (side + th) // 2), font, scale, 1.0, thick, cv2.LINE_AA)
        x, y = board.polar_to_board(r_mid, angle) * TEXTURE_PX_PER_MM + c
        m = cv2.getRotationMatrix2D((side / 2, side / 2), -turn, 1.0)
        m[:, 2] += (x - side / 2, y - side / 2)
        alpha = cv2.warpAffine(glyph, m, (bgr.shape[1], bgr.shape[0]))[..., None]
        bgr[:] = (bgr * (1 - alpha) + np.array(board.NUMBER, np.float32) * alpha).astype(np.uint8)
