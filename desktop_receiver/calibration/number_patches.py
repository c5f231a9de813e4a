"""The number ring cut into one square picture per segment slot, turned the ways a number may stand.

Each slot's picture is sampled on the board plane (through the homography and the lens), so perspective
is gone: what is left is a number of about the same size on every photo, turned by how the maker set it.
Makers set numbers upright as the board hangs, or radially with their tops outward, or radially and
turned over in the lower half so they read from the throwing line. The classifier (digits.py) only reads
upright numbers, so each slot is offered turned by every angle those conventions can give it.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import board
from .homography import to_image
from .lens import Lens
from .refine import px_per_mm

PATCH_PX = 32  # the classifier's input side
PATCH_MM = 44.0  # board mm that the input side covers: a two-digit number with a margin
PATCH_CENTRE_MM = 200.0  # where numbers sit on real boards (their middle, 190-210 mm from the centre)
# The slot is first sampled larger (its diagonal) so that any turn of it still fills the input.
_WIDE_PX = int(np.ceil(PATCH_PX * np.sqrt(2))) + 2
_GRID = 9  # the board->image map is smooth over one slot: computed on a coarse grid, interpolated
_OVERSAMPLE = 2  # samples per input pixel before averaging them down: thin wire numbers survive
_MAX_SOURCE_PX_PER_MM = 2.0 * _OVERSAMPLE * PATCH_PX / PATCH_MM  # finer images are halved first


def normalise(patches: np.ndarray) -> np.ndarray:
    """Patches (N, PATCH_PX, PATCH_PX) of grey values as the classifier takes them: the slot's black at
    0 and its brightest ink at about 1, so light, glare and exposure do not matter (float32)."""
    p = patches.astype(np.float32)
    ordered = np.sort(p.reshape(len(p), -1), axis=1)  # one sort for both percentiles (np.percentile's)
    low, high = (_percentile_of_sorted(ordered, q) for q in (20, 99))
    scale = np.maximum(high - low, 16.0)  # a slot without ink stays dark instead of amplifying noise
    return np.clip((p - low[:, None, None]) / scale[:, None, None], -0.5, 1.5).astype(np.float32)


def _percentile_of_sorted(ordered: np.ndarray, q: float) -> np.ndarray:
    """Per row of ``ordered`` (sorted along axis 1), its ``q``-th percentile, interpolated linearly."""
    at = (ordered.shape[1] - 1) * q / 100
    below = int(np.floor(at))
    above = min(below + 1, ordered.shape[1] - 1)
    return ordered[:, below] + (ordered[:, above] - ordered[:, below]) * (at - below)


def slot_pictures(image_bgr: np.ndarray, h: np.ndarray, lens: Lens | None) -> tuple[np.ndarray, np.ndarray]:
    """(pictures, visible): per slot of ``h`` (slot s centred on board angle 18 s), a wide grey picture
    (N_SEGMENTS, W, W) with the board's outward direction up, and whether the slot is in the image."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    scale = px_per_mm(h)
    factor = 1.0
    while scale / factor > _MAX_SOURCE_PX_PER_MM and min(grey.shape) > 2 * PATCH_PX:
        grey = cv2.pyrDown(grey)
        factor *= 2.0
    half = PATCH_MM / PATCH_PX * _WIDE_PX / 2
    u = np.linspace(-half, half, _GRID)
    tangential, radial = np.meshgrid(u, -u)  # picture rows go inward: the outward direction is up
    angles = np.arange(board.N_SEGMENTS) * board.SEGMENT_DEG
    a = np.radians(angles)[:, None, None]
    out_dir = np.stack([np.sin(a), -np.cos(a)], axis=-1)  # (N, 1, 1, 2)
    tan_dir = np.stack([np.cos(a), np.sin(a)], axis=-1)
    pts = (PATCH_CENTRE_MM + radial[None, ..., None]) * out_dir + tangential[None, ..., None] * tan_dir
    img_pts = to_image(h, pts.reshape(-1, 2), lens).reshape(board.N_SEGMENTS, _GRID, _GRID, 2)
    hgt, wid = image_bgr.shape[:2]
    inside = (
        (img_pts[..., 0] >= 0) & (img_pts[..., 1] >= 0) & (img_pts[..., 0] < wid) & (img_pts[..., 1] < hgt)
    )
    visible = inside.reshape(board.N_SEGMENTS, -1).mean(axis=1) > 0.9
    fine = _WIDE_PX * _OVERSAMPLE
    pictures = np.empty((board.N_SEGMENTS, _WIDE_PX, _WIDE_PX), np.uint8)
    for s in range(board.N_SEGMENTS):
        grid = (img_pts[s] / factor).astype(np.float32)
        grid = cv2.resize(grid, (fine, fine), interpolation=cv2.INTER_LINEAR)
        picture = cv2.remap(
            grey, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        pictures[s] = cv2.resize(picture, (_WIDE_PX, _WIDE_PX), interpolation=cv2.INTER_AREA)
    return pictures, visible


def turned(picture: np.ndarray, degrees: float) -> np.ndarray:
    """The middle PATCH_PX square of a wide slot picture turned ``degrees`` clockwise (as the number
    would have to be turned to stand upright)."""
    c = (_WIDE_PX - 1) / 2
    m = cv2.getRotationMatrix2D((c, c), -degrees, 1.0)
    m[:, 2] -= (_WIDE_PX - PATCH_PX) / 2
    return cv2.warpAffine(
        picture, m, (PATCH_PX, PATCH_PX), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
