"""Moving darts for rendered visits (scripts/render_visit.py): a dart flying in along its axis, wobbling
once it sticks, or bouncing out and falling away, as small patches over a still frame of render_board.

A moving dart is drawn by render_darts.draw_darts into a small crop, once over black and once over white:
draw_darts is linear in the background (a shadow scales it, a polygon's anti-aliased edge blends it), so the
two give what the dart adds and what fraction of the background it keeps, and any background can be put
under it. Averaging several poses within a frame's exposure gives the motion blur. The lens is not applied
to moving darts (visits are rendered without one).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_darts import Dart, draw_darts  # noqa: E402

GRAVITY_MM_S2 = 9810.0
FLIGHT_STEP_MM = 60.0  # how far back along its axis the dart is one frame before it sticks (slowed: in view)
Pose = tuple[Dart, np.ndarray]  # a dart and its offset (board mm, x, y, z) from where it is stuck


@dataclass(frozen=True)
class Patch:
    """Pixels to paste into a frame at (x0, y0)."""

    x0: int
    y0: int
    pixels: np.ndarray

    def paste(self, img: np.ndarray) -> None:
        """Write the patch into ``img`` (in place)."""
        h, w = self.pixels.shape[:2]
        img[self.y0 : self.y0 + h, self.x0 : self.x0 + w] = self.pixels


@dataclass(frozen=True)
class Layer:
    """A moving dart over a frame crop: frame = ``add`` + background * ``keep`` (float32, h x w x 3)."""

    x0: int
    y0: int
    add: np.ndarray
    keep: np.ndarray

    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in frame px."""
        h, w = self.add.shape[:2]
        return self.x0, self.y0, self.x0 + w, self.y0 + h

    def slices(self) -> tuple[slice, slice]:
        """The layer's rows and columns of the frame."""
        x0, y0, x1, y1 = self.box()
        return slice(y0, y1), slice(x0, x1)

    def over(self, background: np.ndarray) -> np.ndarray:
        """The crop of ``background`` at the layer with the dart on it, float32."""
        crop = background[self.slices()].astype(np.float32)
        return self.add + crop * self.keep


def dart_layer(
    proj: np.ndarray,
    poses: Sequence[Pose],
    light: np.ndarray,
    size: tuple[int, int],
    blur_sigma: float,
    box: tuple[int, int, int, int] | None = None,
) -> Layer | None:
    """The darts of ``poses`` averaged (motion blur) in a crop of a ``size`` (w, h) frame; None if they are
    all outside it or too near the camera. ``proj``: the camera's 3x4 matrix (render_board.camera_projection);
    ``box``: the crop (x0, y0, x1, y1), instead of one around the darts."""
    box = box or _box(proj, poses, size)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop = np.array([[1.0, 0, -x0], [0, 1, -y0], [0, 0, 1]])
    add = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
    keep = np.zeros_like(add)
    for dart, offset in poses:
        moved = crop @ proj @ _translation(offset)
        black = np.zeros(add.shape, np.uint8)
        white = np.full(add.shape, 255, np.uint8)
        draw_darts(black, moved, (dart,), light, None)
        draw_darts(white, moved, (dart,), light, None)
        add += black
        keep += (white.astype(np.float32) - black) / 255
    add /= len(poses)
    keep /= len(poses)
    if blur_sigma > 0:  # the camera's blur, as render_board applies to the still frame
        add = cv2.GaussianBlur(add, (0, 0), blur_sigma)
        keep = cv2.GaussianBlur(keep, (0, 0), blur_sigma)
    return Layer(x0, y0, add, keep)


def _translation(offset: np.ndarray) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = offset
    return t


def _box(proj: np.ndarray, poses: Sequence[Pose], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Pixel box (x0, y0, x1, y1) around every pose's dart, inside the frame; None if empty or unsafe."""
    pts, scale = [], 0.0
    for dart, offset in poses:
        ends = np.array([[*dart.tip, 0.0], dart.rear()]) + offset
        hom = np.column_stack([ends, np.ones(2)]) @ proj.T
        if (
            hom[:, 2] <= 0.2 * proj[2, 3]
        ).any():  # too near the camera (proj is scaled to depth 1 at the centre)
            return None
        px = hom[:, :2] / hom[:, 2:]
        pts.append(px)
        scale = max(scale, float(np.linalg.norm(px[1] - px[0]) / np.linalg.norm(ends[1] - ends[0])))
    all_px = np.vstack(pts)
    margin = 40.0 * scale + 8  # the flight's half width and the shadow's blur, in px
    x0, y0 = np.floor(all_px.min(axis=0) - margin).astype(int)
    x1, y1 = np.ceil(all_px.max(axis=0) + margin).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(size[0], x1), min(size[1], y1)
    return (int(x0), int(y0), int(x1), int(y1)) if x1 > x0 + 1 and y1 > y0 + 1 else None


def flight_poses(dart: Dart, frames_before: int, samples: int = 6) -> list[Pose]:
    """The dart ``frames_before`` frames before it sticks: further back along its own axis, smeared over
    half a frame's exposure (``samples`` poses)."""
    axis = dart.axis()
    back = [(frames_before - 0.5 * k / max(1, samples - 1)) * FLIGHT_STEP_MM for k in range(samples)]
    return [(dart, d * axis) for d in back]


def wobble_pose(dart: Dart, t: float, amplitude_deg: float = 2.5) -> Pose:
    """The stuck dart ``t`` s after it hit: its tilt swings about the rest angle, decaying in ~0.1 s."""
    swing = amplitude_deg * math.exp(-t / 0.06) * math.cos(2 * math.pi * 14 * t)
    return replace(dart, tilt_deg=dart.tilt_deg + swing), np.zeros(3)


def fall_poses(
    dart: Dart,
    t0: float,
    t1: float,
    samples: int = 4,
    speed_mm_s: tuple[float, float] = (900.0, 400.0),
    turn_deg_s: float = 300.0,
) -> list[Pose]:
    """A dart leaving the board between ``t0`` and ``t1`` s after it let go: pushed off the board (towards
    the camera) and down at ``speed_mm_s``, then falling, turning over at ``turn_deg_s``. The defaults are
    a bounce; a dart whose point gives way leaves slowly."""
    push_mm_s, drop_mm_s = speed_mm_s
    poses = []
    for t in np.linspace(t0, t1, samples):
        drop = drop_mm_s * t + GRAVITY_MM_S2 * t * t / 2  # board y is down
        out = -push_mm_s * t  # z < 0: away from the board
        turned = replace(dart, tilt_deg=dart.tilt_deg + turn_deg_s * t, spin_deg=dart.spin_deg + 200 * t)
        poses.append((turned, np.array([0.0, drop, out])))
    return poses
