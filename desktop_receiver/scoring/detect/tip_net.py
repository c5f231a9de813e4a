"""The tip network: where a new dart's point enters the board, from a picture of the change around it.

Seen from one camera at an angle, a dart's point, barrel, shaft and flight make a streak whose thin end is
the tip; but a flight's wing is a streak too, a shadow continues the point, and face-on the flight hides
most of the rest. A small convolutional network trained on rendered visits (``scripts/train_tip.py``;
nothing is downloaded) tells which end is the tip. Its input is a square patch about the dart's changed
pixels: the frame before, the frame after and those pixels; its output a heat map whose expected position
is the tip. A second network, on a patch of FINE_MM about that first tip at the camera's full resolution,
places it precisely (the first sees the whole dart, at a few px per mm less). Both run with OpenCV's
dnn, so the agent needs no training framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_receiver.nets import net, softmax

MODELS = Path(__file__).with_name("models")
COARSE_PATH = MODELS / "tip_coarse.onnx"
FINE_PATH = MODELS / "tip_fine.onnx"
INPUT_PX = 96  # the coarse patch's side
FINE_PX = 48  # the fine patch's side
CELLS = 24  # either heat map's side
PEAK_CELLS = 5  # the coarse tip is its heat map's mean within this many cells of the peak
CHANNELS = 7  # before BGR, after BGR, the dart's changed pixels
MARGIN = 1.25  # the coarse patch's side: this many times the changed pixels' extent, plus PAD_PX
PAD_PX = 16.0
FINE_MM = 24.0  # the fine patch's side on the board: it holds the point and the start of the barrel


@dataclass(frozen=True)
class Crop:
    """The square of the camera image a patch shows: ``centre`` (px) and ``side`` (px), as ``size`` x
    ``size`` patch px."""

    centre: tuple[float, float]
    side: float
    size: int = INPUT_PX

    def matrix(self) -> np.ndarray:
        """The 2x3 affine map from image px to patch px."""
        k = self.size / self.side
        cx, cy = self.centre
        return np.array([[k, 0.0, self.size / 2 - k * cx], [0.0, k, self.size / 2 - k * cy]])

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """Image px of patch px (..., 2)."""
        k = self.side / self.size
        return (np.asarray(xy, np.float64) - self.size / 2) * k + np.array(self.centre)

    def to_patch(self, xy: np.ndarray) -> np.ndarray:
        """Patch px of image px (..., 2)."""
        k = self.size / self.side
        return (np.asarray(xy, np.float64) - np.array(self.centre)) * k + self.size / 2


def crop_of(pts: np.ndarray) -> Crop:
    """The coarse patch about a dart's changed pixels ``pts`` ((n, 2) image x, y)."""
    lo, hi = pts.min(axis=0).astype(np.float64), pts.max(axis=0).astype(np.float64)
    centre = (lo + hi) / 2
    side = MARGIN * float(np.max(hi - lo)) + PAD_PX
    return Crop((float(centre[0]), float(centre[1])), side)


def fine_crop(tip: np.ndarray, px_per_mm: float) -> Crop:
    """The fine patch about a first guess ``tip`` (image px) where the board has ``px_per_mm``."""
    return Crop((float(tip[0]), float(tip[1])), FINE_MM * px_per_mm, FINE_PX)


def patch(before: np.ndarray, after: np.ndarray, pts: np.ndarray, crop: Crop) -> np.ndarray:
    """A network's input (CHANNELS, crop.size, crop.size) uint8: before, after (BGR frames) and ``pts``
    (image x, y) marked 255, as the square ``crop`` shows them."""
    m = crop.matrix()
    size = (crop.size, crop.size)
    # Area-like downscaling: blur by the scale first, so that a thin point does not alias away.
    sigma = max(0.0, 0.5 * (crop.side / crop.size - 1.0))
    out = np.zeros((CHANNELS, crop.size, crop.size), np.uint8)
    for i, frame in enumerate((before, after)):
        x0, y0, x1, y1 = _bounds(crop, frame.shape)
        part = frame[y0:y1, x0:x1]
        if sigma > 0.3:
            part = cv2.GaussianBlur(part, (0, 0), sigma)
        shifted = m.copy()
        shifted[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)
        warped = cv2.warpAffine(part, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out[3 * i : 3 * i + 3] = warped.transpose(2, 0, 1)
    cells = np.floor(crop.to_patch(pts)).astype(np.int64)
    inside = np.all((cells >= 0) & (cells < crop.size), axis=1)
    out[6, cells[inside, 1], cells[inside, 0]] = 255
    return out


def _bounds(crop: Crop, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The image rectangle (clipped) that covers the crop, with a few px to spare for the blur."""
    h, w = shape[:2]
    half = crop.side / 2 + 4
    cx, cy = crop.centre
    x0, y0 = int(np.clip(np.floor(cx - half), 0, w - 1)), int(np.clip(np.floor(cy - half), 0, h - 1))
    x1, y1 = int(np.clip(np.ceil(cx + half), x0 + 1, w)), int(np.clip(np.ceil(cy + half), y0 + 1, h))
    return x0, y0, x1, y1


def normalise(patches: np.ndarray) -> np.ndarray:
    """uint8 patches (N, CHANNELS, S, S) as a network's float input (-0.5..0.5)."""
    return patches.astype(np.float32) / 255.0 - 0.5


def expected_cell(logits: np.ndarray, size: int = INPUT_PX, peak_cells: int = CELLS) -> np.ndarray:
    """The expected positions (N, 2), in px of a patch of ``size``, of the softmax heat maps ``logits``
    (N, CELLS, CELLS), within ``peak_cells`` of each map's peak (the coarse map's PEAK_CELLS: a map torn
    between the dart's two ends would otherwise put the tip halfway along it). (Their peak is no measure
    of being right: on renders, right and wrong tips have the same peak, so confidence comes from the
    change itself, see analysis.)"""
    p = softmax(logits.reshape(len(logits), -1)).reshape(-1, CELLS, CELLS)
    peak_y, peak_x = np.unravel_index(p.reshape(len(p), -1).argmax(axis=1), (CELLS, CELLS))
    cells = np.arange(CELLS)
    near_x = np.abs(cells[None, :] - peak_x[:, None]) <= peak_cells
    near_y = np.abs(cells[None, :] - peak_y[:, None]) <= peak_cells
    p = p * near_y[:, :, None] * near_x[:, None, :]
    p = p / p.sum(axis=(1, 2), keepdims=True)
    centres = cell_centres(size)
    x = (p.sum(axis=1) * centres).sum(axis=1)
    y = (p.sum(axis=2) * centres).sum(axis=1)
    return np.column_stack([x, y])


def cell_centres(size: int) -> np.ndarray:
    """Where each heat-map cell's centre lies, in px of a patch of ``size``: cell i covers the size / CELLS
    patch pixels from i * size / CELLS, and pixel j has its centre at j (as in warpAffine)."""
    return (np.arange(CELLS) + 0.5) * (size / CELLS) - 0.5


def _run(
    path: Path, before: np.ndarray, after: np.ndarray, pts: np.ndarray, crop: Crop, peak_cells: int = CELLS
) -> np.ndarray:
    """One network's tip (image px) in ``crop`` (``peak_cells``: see expected_cell)."""
    model = net(path)
    model.setInput(normalise(patch(before, after, pts, crop)[None]))
    xy = expected_cell(model.forward().reshape(1, CELLS, CELLS), crop.size, peak_cells)
    return crop.to_image(xy[0])


def coarse_tip(before: np.ndarray, after: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The coarse network's tip (image px) of the dart whose changed pixels are ``pts`` ((n, 2) image
    x, y) between the BGR frames ``before`` and ``after``: which end, within a few px."""
    return _run(COARSE_PATH, before, after, pts, crop_of(pts), PEAK_CELLS)


def fine_tip(
    before: np.ndarray, after: np.ndarray, pts: np.ndarray, near: np.ndarray, px_per_mm: float
) -> np.ndarray:
    """The fine network's tip (image px) within FINE_MM / 2 of ``near`` (image px), where the board has
    about ``px_per_mm``; arguments otherwise as coarse_tip."""
    return _run(FINE_PATH, before, after, pts, fine_crop(near, px_per_mm))
