"""Board-free scenes with red and green ring-like things, for the detector's false-positive tests.

Each is a BGR image a naive ring detector could take for a board: targets of red and green circles,
stripes, a lone red/green dashed ring without a treble, a double and a treble ring without the board
between them, concentric dashed rings with too few segments, scattered red and green discs and ellipses
on a noisy wall, a hue wheel.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = (720, 1280)  # h, w
RED, GREEN, CREAM, BLACK = (45, 40, 200), (70, 140, 30), (170, 215, 232), (28, 28, 30)


def _wall(seed: int, colour=(150, 160, 170)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((*SIZE, 3), colour, np.float32) + rng.normal(0, 6, (*SIZE, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def target() -> np.ndarray:
    """Concentric filled circles, alternately red and green (an archery target)."""
    img = _wall(1)
    for i, r in enumerate(range(300, 20, -40)):
        cv2.circle(img, (640, 360), r, RED if i % 2 else GREEN, -1, cv2.LINE_AA)
    return img


def stripes() -> np.ndarray:
    """Red, green and cream stripes (a flag, a deck chair)."""
    img = _wall(2)
    for i, x in enumerate(range(0, SIZE[1], 60)):
        img[:, x : x + 60] = (RED, GREEN, CREAM)[i % 3]
    return img


def lone_dashed_ring() -> np.ndarray:
    """A red/green ring in 20 segments, like a double ring, but nothing inside it."""
    img = _wall(3)
    for k in range(20):
        cv2.ellipse(img, (640, 360), (260, 200), 10, k * 18, (k + 1) * 18, RED if k % 2 else GREEN, 14)
    return img


def two_dashed_rings() -> np.ndarray:
    """A double and a treble ring of 20 red/green segments on a plain wall: no singles, wires or numbers."""
    img = _wall(6)
    for k in range(20):
        colour = RED if k % 2 else GREEN
        cv2.ellipse(img, (640, 360), (300, 230), 0, k * 18, (k + 1) * 18, colour, 12)
        cv2.ellipse(img, (640, 360), (189, 145), 0, k * 18, (k + 1) * 18, colour, 12)
    return img


def few_segments() -> np.ndarray:
    """Two concentric dashed red/green rings with 8 segments on black and cream sectors."""
    img = _wall(4, (40, 40, 40))
    for k in range(8):
        cv2.ellipse(img, (640, 360), (280, 280), 0, k * 45, (k + 1) * 45, CREAM if k % 2 else BLACK, -1)
    for k in range(8):
        colour = RED if k % 2 else GREEN
        cv2.ellipse(img, (640, 360), (272, 272), 0, k * 45, (k + 1) * 45, colour, 16)
        cv2.ellipse(img, (640, 360), (170, 170), 0, k * 45, (k + 1) * 45, colour, 16)
    return img


def scattered(seed: int = 5) -> np.ndarray:
    """Many red and green discs, rings and ellipses of all sizes on a noisy wall (a toy shelf)."""
    rng = np.random.default_rng(seed)
    img = _wall(seed, (120, 140, 150))
    for _ in range(80):
        centre = (int(rng.integers(0, SIZE[1])), int(rng.integers(0, SIZE[0])))
        axes = (int(rng.integers(10, 120)), int(rng.integers(10, 120)))
        colour = (RED, GREEN, CREAM, BLACK)[int(rng.integers(0, 4))]
        thickness = int(rng.choice([-1, 3, 8]))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, thickness, cv2.LINE_AA)
    return img


def hue_wheel() -> np.ndarray:
    """A saturated hue wheel: every hue at every angle, red and green included."""
    y, x = np.mgrid[0 : SIZE[0], 0 : SIZE[1]].astype(np.float32)
    hue = (np.degrees(np.arctan2(y - 360, x - 640)) % 360) / 2
    hsv = np.dstack([hue, np.full_like(hue, 220), np.full_like(hue, 200)]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


SCENES = {
    f.__name__: f
    for f in (target, stripes, lone_dashed_ring, two_dashed_rings, few_segments, scattered, hue_wheel)
}
