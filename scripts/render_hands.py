"""A hand and forearm for rendered visits (scripts/render_visit.py), reaching in from a frame edge.

The hand is a flat sprite in image pixels: a forearm long enough to reach past any frame edge, a palm,
four fingers and a thumb, in a skin colour, shaded brighter along the middle of each limb (round limbs lit
from the front) and from above, with a soft shadow on the board below it (it is a few cm in front of the
board, lit from the ceiling). One sprite per pass: the hand moves by translation, as a hand reaching for
darts mostly does.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

SKINS = ((150, 175, 225), (120, 150, 205), (95, 125, 175), (70, 95, 140), (165, 190, 235))
SHADOW_DEPTH = 0.5  # fraction of the light the hand's shadow takes away where it is darkest


@dataclass(frozen=True)
class HandSprite:
    """A hand pointing along ``direction`` (unit, image px), palm centre at ``anchor`` in the sprite;
    ``colour`` float32 BGR, ``alpha`` and ``shadow`` float32 in 0..1, all h x w."""

    colour: np.ndarray
    alpha: np.ndarray
    shadow: np.ndarray
    anchor: tuple[int, int]
    direction: tuple[float, float]

    def _crop(
        self, palm: tuple[float, float], size: tuple[int, int]
    ) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
        """(frame rows, cols), (sprite rows, cols) with the palm at ``palm``; None if off the frame."""
        x0, y0 = round(palm[0]) - self.anchor[0], round(palm[1]) - self.anchor[1]
        h, w = self.alpha.shape
        bx0, by0, bx1, by1 = max(0, x0), max(0, y0), min(size[0], x0 + w), min(size[1], y0 + h)
        if bx1 <= bx0 or by1 <= by0:
            return None
        frame = (slice(by0, by1), slice(bx0, bx1))
        return frame, (slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0))

    def visible(self, palm: tuple[float, float], size: tuple[int, int]) -> bool:
        """Whether any of the hand or its shadow is in a ``size`` (w, h) frame with the palm at ``palm``."""
        crop = self._crop(palm, size)
        return crop is not None and bool(
            self.shadow[crop[1]].max() > 0.01 or self.alpha[crop[1]].max() > 0.01
        )

    def draw(self, img: np.ndarray, palm: tuple[float, float]) -> None:
        """Composite the hand (palm centre at ``palm``, frame px) and its shadow into ``img`` in place."""
        crop = self._crop(palm, (img.shape[1], img.shape[0]))
        if crop is None:
            return
        frame, sprite = crop
        alpha, shadow = self.alpha[sprite][..., None], self.shadow[sprite][..., None]
        bg = img[frame].astype(np.float32)
        out = self.colour[sprite] * alpha + bg * (1 - SHADOW_DEPTH * shadow) * (1 - alpha)
        img[frame] = np.clip(out, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class HandSpec:
    """What defines a hand sprite (see make_hand); small, so a long clip's frames can each name theirs."""

    seed: tuple[int, ...]
    px_per_mm: float
    direction: tuple[float, float]
    reach: float


@functools.lru_cache(maxsize=2)
def hand_sprite(spec: HandSpec) -> HandSprite:
    """The sprite of ``spec``, made once while frames use it (a full-size one takes tens of MB)."""
    return make_hand(np.random.default_rng(list(spec.seed)), spec.px_per_mm, spec.direction, spec.reach)


def make_hand(
    rng: np.random.Generator, px_per_mm: float, direction: tuple[float, float], reach: float
) -> HandSprite:
    """A hand of random skin and size pointing along ``direction`` (image px), its forearm ``reach`` px long
    behind the palm; ``px_per_mm`` is the board's scale in the image (the hand is about as far away)."""
    s = px_per_mm * rng.uniform(0.9, 1.15)
    palm_w, palm_l, finger_l = 85 * s, 95 * s, 75 * s
    arm_w = 70 * s
    shadow_shift = np.array([0.3, 1.0]) * 30 * s  # the ceiling light throws it down and a little aside
    blur = max(1.0, 12 * s)
    d = np.array(direction, float) / np.linalg.norm(direction)
    n = np.array([-d[1], d[0]])
    # Local layout (palm centre at the origin): fingers ahead along d, the forearm behind.
    lines = [(-reach * d, -0.45 * palm_l * d, arm_w)]  # forearm
    spread = rng.uniform(-0.15, 0.15)
    for k, frac in enumerate((-0.36, -0.12, 0.12, 0.36)):
        base = 0.45 * palm_l * d + frac * palm_w * n
        bend = d + (frac * 0.4 + spread) * n
        length = finger_l * (0.85, 1.0, 0.95, 0.75)[k]
        lines.append((base, base + length * bend / np.linalg.norm(bend), 0.22 * palm_w))
    thumb = -0.15 * palm_l * d + 0.4 * palm_w * n
    lines.append((thumb, thumb + 45 * s * (0.75 * d + 0.66 * n), 0.26 * palm_w))
    palm = np.array([c * 0.5 * palm_w * n + e * 0.5 * palm_l * d for c, e in _rounded_square()])
    ends = np.vstack([p for a, b, _ in lines for p in (a, b)] + [palm])
    pad = int(3 * blur + np.abs(shadow_shift).max() + arm_w)
    lo = np.floor(ends.min(axis=0)).astype(int) - pad
    w, h = (np.ceil(ends.max(axis=0)).astype(int) + pad - lo).tolist()
    mask = np.zeros((h, w), np.uint8)
    origin = -lo.astype(float)
    cv2.fillPoly(mask, [np.round((palm + origin) * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    for a, b, width in lines:
        pa, pb = (np.round(a + origin).astype(int), np.round(b + origin).astype(int))
        cv2.line(mask, tuple(pa.tolist()), tuple(pb.tolist()), 255, max(1, round(width)), cv2.LINE_AA)
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 0.8)
    colour = _shade(alpha, np.array(SKINS[int(rng.integers(0, len(SKINS)))], np.float32), arm_w)
    m = np.float32([[1, 0, shadow_shift[0]], [0, 1, shadow_shift[1]]])
    shadow = cv2.GaussianBlur(cv2.warpAffine(alpha, m, (w, h)), (0, 0), blur)
    anchor = (int(origin[0]), int(origin[1]))
    return HandSprite(colour, alpha, shadow, anchor, (float(d[0]), float(d[1])))


def _rounded_square(k: int = 32) -> list[tuple[float, float]]:
    """A superellipse |x|^4 + |y|^4 = 1: the palm's outline."""
    out = []
    for t in np.linspace(0, 2 * math.pi, k, endpoint=False):
        c, e = math.cos(t), math.sin(t)
        out.append((math.copysign(abs(c) ** 0.5, c), math.copysign(abs(e) ** 0.5, e)))
    return out


def _shade(alpha: np.ndarray, skin: np.ndarray, arm_w: float) -> np.ndarray:
    """Skin brighter along each limb's middle (distance to its outline) and at the top (ceiling light)."""
    inside = (alpha > 0.5).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    rounded = np.sqrt(np.clip(dist / (0.25 * arm_w), 0, 1))
    rows = np.linspace(1.08, 0.92, alpha.shape[0], dtype=np.float32)[:, None]
    return skin[None, None, :] * ((0.55 + 0.45 * rounded) * rows)[..., None]
