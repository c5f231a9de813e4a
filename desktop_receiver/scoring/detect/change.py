"""What changed on the board between two top-down views (view.py): a colour distance with shadows taken
out, the noise it is judged against, and the changed regions as blobs."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop_receiver.scoring.detect.view import PX_PER_MM

MM2_PER_PX = 1.0 / PX_PER_MM**2
MIN_THRESHOLD = 20.0  # colour distance (0-441) below which nothing counts as changed, whatever the noise
NOISE_FACTOR = 4.0  # changed: this many times the view's typical distance between the two frames
MIN_BLOB_MM2 = 6.0  # smaller regions are noise or a wire's edge
# A shadow keeps the colour and darkens it by a factor (a dart's or a hand's, under a ceiling light).
SHADOW_GAIN = (0.3, 0.95)
SHADOW_CHROMA = 0.12  # the colour's leeway, as a share of the reference's brightness


@dataclass(frozen=True)
class Blob:
    """One changed region: its view px (``ys``, ``xs``), area and centre (view px)."""

    label: int
    ys: np.ndarray
    xs: np.ndarray
    area_mm2: float
    centre: tuple[float, float]


@dataclass(frozen=True)
class Change:
    """The change from a reference view to the current one."""

    distance: np.ndarray  # float32 colour distance per view px; 0 where it is a shadow or unseen
    shadow: np.ndarray  # bool: darker, same colour
    mask: np.ndarray  # uint8 0/255: changed (cleaned)
    labels: np.ndarray  # int32 blob label per px (0: unchanged)
    threshold: float
    blobs: tuple[Blob, ...]  # largest first

    @property
    def area_mm2(self) -> float:
        """Changed area in mm² (all blobs)."""
        return float(sum(b.area_mm2 for b in self.blobs))


def compare(reference: np.ndarray, current: np.ndarray, seen: np.ndarray) -> Change:
    """The change from ``reference`` to ``current`` (float32 BGR views of the same size), within the
    ``seen`` mask (uint8: view px inside the camera frame)."""
    ref = reference.astype(np.float32, copy=False)
    cur = current.astype(np.float32, copy=False)
    diff = cur - ref
    distance = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    ref_power = np.einsum("ijk,ijk->ij", ref, ref) + 1.0
    gain = np.einsum("ijk,ijk->ij", cur, ref) / ref_power
    residual = cur - gain[..., None] * ref
    chroma = np.sqrt(np.einsum("ijk,ijk->ij", residual, residual))
    shadow = (gain > SHADOW_GAIN[0]) & (gain < SHADOW_GAIN[1]) & (chroma < SHADOW_CHROMA * np.sqrt(ref_power))
    distance[shadow | (seen == 0)] = 0.0
    typical = float(np.median(distance[seen > 0])) if seen.any() else 0.0
    threshold = max(MIN_THRESHOLD, NOISE_FACTOR * typical)
    mask = (distance > threshold).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    # Join a dart's parts (a thin shaft between the barrel and the flight loses pixels).
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    blobs = []
    keep = np.zeros(count, bool)
    for label in range(1, count):
        area = stats[label, cv2.CC_STAT_AREA] * MM2_PER_PX
        if area >= MIN_BLOB_MM2:
            keep[label] = True
    labels = np.where(keep[labels], labels, 0).astype(np.int32)
    if keep.any():
        ys, xs = np.nonzero(labels)
        order = np.argsort(labels[ys, xs], kind="stable")
        ys, xs = ys[order], xs[order]
        bounds = np.searchsorted(labels[ys, xs], np.arange(count + 1))
        for label in np.flatnonzero(keep):
            sel = slice(bounds[label], bounds[label + 1])
            blobs.append(
                Blob(
                    int(label),
                    ys[sel],
                    xs[sel],
                    float(stats[label, cv2.CC_STAT_AREA] * MM2_PER_PX),
                    (float(centroids[label][0]), float(centroids[label][1])),
                )
            )
    blobs.sort(key=lambda b: -b.area_mm2)
    mask = np.where(labels > 0, 255, 0).astype(np.uint8)
    return Change(distance, shadow, mask, labels, threshold, tuple(blobs))
