"""Rendered number-ring slots for training and testing the number classifier (digits.py).

Each sample is what number_patches.turned() gives for one slot of a real board: a PATCH_PX square of
the board plane, 44 mm a side, grey. Class n (1..20) is that number standing upright, class 20 + n the
number n upside down (one picture then answers for both ways a radial number may stand); class 0 is a
slot without either: an empty ring, a logo, a number turned some other way. Boards differ in
their numbers' fonts (wire bent into digits, printed, bold or thin), in where the numbers sit, in what
surrounds them (ring wires, the board's edge, a bright cabinet, logos, darts, glare), and the
calibration is off by a little: all of that is drawn at random. OpenCV's Hershey fonts are stroke fonts,
like the wire numbers of most boards.
"""

from __future__ import annotations

import cv2
import numpy as np

from desktop_receiver.calibration import board
from desktop_receiver.calibration.digits import UPSIDE_DOWN
from desktop_receiver.calibration.number_patches import PATCH_CENTRE_MM, PATCH_MM, PATCH_PX

FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
)
_UP = 4  # drawn at four times the size, then averaged down (antialiased like a sampled photo)
_SIDE = PATCH_PX * _UP
_PX_PER_MM = _SIDE / PATCH_MM
NEGATIVE_SHARE = 0.4
# Class 0's numbers are turned at least this far (degrees) from upright and from upside down.
MIN_NEGATIVE_TURN = 35.0
_YY, _XX = np.mgrid[0:_SIDE, 0:_SIDE].astype(np.float32)


def sample(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """One random slot picture (PATCH_PX, PATCH_PX) uint8 and its class."""
    canvas = _background(rng)
    label = 0
    kind = rng.random()
    if kind > NEGATIVE_SHARE:
        number = int(rng.integers(1, 21))
        upside_down = rng.random() < 0.5
        label = number + UPSIDE_DOWN * upside_down
        _draw_number(canvas, rng, number, turn=180.0 * upside_down + rng.normal(0, 4))
    elif kind > NEGATIVE_SHARE / 2:
        turn = rng.uniform(MIN_NEGATIVE_TURN, 180 - MIN_NEGATIVE_TURN) + 180.0 * rng.integers(0, 2)
        _draw_number(canvas, rng, int(rng.integers(1, 21)), turn=turn)
    if rng.random() < 0.35:
        _draw_logo(canvas, rng)
    if rng.random() < 0.15:
        _draw_dart(canvas, rng)
    return _finish(canvas, rng), label


def batch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples: pictures (n, PATCH_PX, PATCH_PX) uint8 and their classes (n,)."""
    pictures = np.empty((n, PATCH_PX, PATCH_PX), np.uint8)
    labels = np.empty(n, np.int64)
    for i in range(n):
        pictures[i], labels[i] = sample(rng)
    return pictures, labels


def _background(rng: np.random.Generator) -> np.ndarray:
    """The black number ring with its wires and the board's edge, the board's centre in a random
    direction (upright numbers are turned any way against the ring)."""
    black = rng.uniform(5, 70)
    canvas = np.full((_SIDE, _SIDE), black, np.float32)
    direction = rng.uniform(0, 2 * np.pi) if rng.random() < 0.5 else np.pi * rng.integers(0, 2)
    centre_mm = PATCH_CENTRE_MM + rng.normal(0, 4)
    # The board's centre in canvas pixels (y down; direction 0 is straight down, "outward is up").
    cx = _SIDE / 2 + np.sin(direction) * centre_mm * _PX_PER_MM
    cy = _SIDE / 2 + np.cos(direction) * centre_mm * _PX_PER_MM
    centre = (int(round(cx)), int(round(cy)))
    edge = board.R_BOARD_EDGE + rng.normal(0, 3)
    surround = rng.uniform(0, 255) if rng.random() < 0.7 else black
    canvas[np.hypot(_XX - cx, _YY - cy) > edge * _PX_PER_MM] = surround
    wire = float(rng.uniform(90, 230))
    for radius, chance in ((board.OUTER_DOUBLE_WIRE_MM, 0.9), (edge - rng.uniform(2, 8), 0.3)):
        if rng.random() < chance:
            thickness = max(1, int(rng.uniform(0.8, 2.2) * _PX_PER_MM))
            cv2.circle(canvas, centre, int(radius * _PX_PER_MM), wire, thickness, cv2.LINE_AA)
    if rng.random() < 0.5:  # the coloured double ring inside the outer double wire, grey here
        cv2.circle(
            canvas,
            centre,
            int((board.R_DOUBLE_MIDDLE) * _PX_PER_MM),
            rng.uniform(30, 160),
            int(6 * _PX_PER_MM),
        )
    return canvas


def _draw_number(canvas: np.ndarray, rng: np.random.Generator, number: int, turn: float) -> None:
    """``number`` in a random font and size near the middle, turned ``turn`` degrees clockwise."""
    text = str(number)
    font = int(FONTS[rng.integers(len(FONTS))]) | (cv2.FONT_ITALIC if rng.random() < 0.1 else 0)
    height_mm = rng.uniform(17, 30)
    (w, h), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = height_mm * _PX_PER_MM / h
    thickness = max(1, int(rng.uniform(0.9, 4.0) * _PX_PER_MM))
    layer = np.zeros_like(canvas)
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    org = (int(_SIDE / 2 - w / 2), int(_SIDE / 2 + h / 2))
    cv2.putText(layer, text, org, font, scale, 1.0, thickness, cv2.LINE_AA)
    stretch = rng.uniform(0.8, 1.25)
    shift = rng.normal(0, [3.0, 4.0]) * _PX_PER_MM
    m = cv2.getRotationMatrix2D((_SIDE / 2, _SIDE / 2), -turn, 1.0)
    m[:, :2] = m[:, :2] @ np.diag([stretch, 1.0])
    centre = np.array([_SIDE / 2, _SIDE / 2])
    m[:, 2] = centre - m[:, :2] @ centre + shift
    layer = cv2.warpAffine(layer, m, (_SIDE, _SIDE))
    ink = rng.uniform(130, 255)
    np.copyto(canvas, canvas * (1 - layer) + ink * layer)


def _draw_logo(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """A maker's logo in the ring: bold letters, bright or mid grey, partly over the slot."""
    letters = "".join(chr(ord("A") + int(i)) for i in rng.integers(0, 26, 6))
    font = int(FONTS[rng.integers(len(FONTS))])
    scale = rng.uniform(0.8, 2.5) * _UP / 2
    org = (int(rng.uniform(-_SIDE, _SIDE / 2)), int(rng.uniform(0, _SIDE * 1.3)))
    cv2.putText(
        canvas, letters, org, font, scale, rng.uniform(60, 240), int(rng.uniform(2, 6) * _UP), cv2.LINE_AA
    )


def _draw_dart(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """A dart's shaft or flight across the slot."""
    p1 = tuple(int(v) for v in rng.uniform(-0.2, 1.2, 2) * _SIDE)
    p2 = tuple(int(v) for v in rng.uniform(-0.2, 1.2, 2) * _SIDE)
    cv2.line(canvas, p1, p2, rng.uniform(20, 255), int(rng.uniform(2, 8) * _PX_PER_MM), cv2.LINE_AA)


def _finish(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light, blur and noise of a camera, then averaged down to PATCH_PX."""
    if rng.random() < 0.3:  # glare or a light falling off across the ring
        g = rng.normal(0, 1, 2) / _SIDE
        canvas += rng.uniform(10, 80) * np.clip(
            g[0] * (_XX - _SIDE / 2) + g[1] * (_YY - _SIDE / 2) + 0.5, 0, 1
        )
    small = cv2.resize(canvas, (PATCH_PX, PATCH_PX), interpolation=cv2.INTER_AREA)
    sigma = rng.uniform(0, 1.3)
    if sigma > 0.3:
        small = cv2.GaussianBlur(small, (0, 0), sigma)
    small += rng.normal(0, rng.uniform(0, 10), small.shape)
    return np.clip(small, 0, 255).astype(np.uint8)
