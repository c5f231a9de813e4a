"""What changed between two frames of the same camera, in an image crop: a colour distance with shadows
taken out, judged against the frames' noise, and the changed regions grouped as one dart's parts."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

MIN_THRESHOLD = 18.0  # colour distance (0-441) below which nothing counts as changed, whatever the noise
NOISE_FACTOR = 3.5  # changed: this many times the crop's typical distance between the two frames
# A shadow keeps the colour and darkens it by a factor (a dart's or a hand's, under a ceiling light).
MIN_NEIGHBOURS = 3  # of the 3x3 around a changed pixel, itself included
SHADOW_GAIN = (0.3, 1.0)
# The colour's leeway: this many times the noise, plus a share of the reference's brightness (a grey
# dart on the cream is a darker colour too, but a greyer one).
SHADOW_CHROMA = (1.5, 0.01)


def compare(before: np.ndarray, after: np.ndarray, tolerance_px: int = 0) -> np.ndarray:
    """The changed pixels (uint8 0/255) between two BGR crops of the same size. ``tolerance_px`` > 0: a
    pixel of ``after`` changed only where its colour lies outside the range of ``before`` within that many
    px (two photos registered to a px or so, whose wires and edges would all count as changed otherwise)."""
    ref = before.astype(np.float32)
    cur = after.astype(np.float32)
    diff = cur - ref
    if tolerance_px > 0:
        kernel = np.ones((2 * tolerance_px + 1,) * 2, np.uint8)
        lo, hi = cv2.erode(ref, kernel), cv2.dilate(ref, kernel)
        outside = np.maximum(lo - cur, 0) + np.maximum(cur - hi, 0)
        distance = np.sqrt(np.einsum("ijk,ijk->ij", outside, outside))
    else:
        distance = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    typical = float(np.median(distance[::4, ::4]))  # the frames' noise: most of the crop is unchanged
    ref_power = np.einsum("ijk,ijk->ij", ref, ref) + 1.0
    gain = np.einsum("ijk,ijk->ij", cur, ref) / ref_power
    residual = cur - gain[..., None] * ref
    chroma = np.sqrt(np.einsum("ijk,ijk->ij", residual, residual))
    leeway = SHADOW_CHROMA[0] * typical + SHADOW_CHROMA[1] * np.sqrt(ref_power)
    shadow = (gain > SHADOW_GAIN[0]) & (gain < SHADOW_GAIN[1]) & (chroma < leeway)
    changed = (distance > max(MIN_THRESHOLD, NOISE_FACTOR * typical)) & ~shadow
    # A changed pixel with few changed neighbours is noise, JPEG ringing or a shadow's edge; a dart's
    # thin point still has its neighbours along it.
    neighbours = cv2.boxFilter(changed.astype(np.float32), -1, (3, 3), normalize=False)
    mask = (changed & (neighbours >= MIN_NEIGHBOURS)).astype(np.uint8) * 255
    if tolerance_px > 0:
        # What is left of wires and sisal grain is thinner than the tolerance; a dart's barrel is not.
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return mask


def components(mask: np.ndarray, min_px: int, join_px: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The changed regions of ``mask`` with at least ``min_px`` pixels, regions closer than ``join_px``
    joined (a dart's thin shaft or point loses pixels between its parts): (labels, one (n, 2) x, y pixel
    array per region, largest first)."""
    k = max(1, join_px)
    joined = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    count, labels = cv2.connectedComponents(joined, connectivity=8)
    labels = np.where(mask > 0, labels, 0)
    ys, xs = np.nonzero(labels)
    lab = labels[ys, xs]
    sizes = np.bincount(lab, minlength=count)
    regions = [
        np.column_stack([xs[lab == i], ys[lab == i]]) for i in np.argsort(-sizes) if i and sizes[i] >= min_px
    ]
    return labels, regions


COVERED_RADIUS_PX = 8  # a dart that leaves changes the image about its point


def most_covered(mask: np.ndarray, points: Sequence[Sequence[float]]) -> int | None:
    """The index of the point (image px) with the most changed pixels of ``mask`` within COVERED_RADIUS_PX
    of it: the dart, of those whose points these are, that a change took away. None when none is covered."""
    r = COVERED_RADIUS_PX
    best, most = None, 0
    for i, (px, py) in enumerate(points):
        x, y = int(round(px)), int(round(py))
        around = int(np.count_nonzero(mask[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1]))
        if around > most:
            best, most = i, around
    return best
