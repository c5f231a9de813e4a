"""What changed between two frames of the same camera, in an image crop: a colour distance with shadows
taken out, the noise it is judged against, and the changed regions grouped as one dart's parts."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Change:
    """The change from ``before`` to ``after`` in one crop."""

    diff: np.ndarray  # float32 BGR after - before; 0 where it is a shadow
    distance: np.ndarray  # float32 colour distance per px; 0 where it is a shadow or below the threshold
    mask: np.ndarray  # uint8 0/255: changed
    threshold: float


def compare(before: np.ndarray, after: np.ndarray) -> Change:
    """The change between two BGR crops of the same size."""
    ref = before.astype(np.float32)
    cur = after.astype(np.float32)
    diff = cur - ref
    distance = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    typical = float(np.median(distance[::4, ::4]))  # the frames' noise: most of the crop is unchanged
    ref_power = np.einsum("ijk,ijk->ij", ref, ref) + 1.0
    gain = np.einsum("ijk,ijk->ij", cur, ref) / ref_power
    residual = cur - gain[..., None] * ref
    chroma = np.sqrt(np.einsum("ijk,ijk->ij", residual, residual))
    leeway = SHADOW_CHROMA[0] * typical + SHADOW_CHROMA[1] * np.sqrt(ref_power)
    shadow = (gain > SHADOW_GAIN[0]) & (gain < SHADOW_GAIN[1]) & (chroma < leeway)
    distance[shadow] = 0.0
    diff[shadow] = 0.0
    threshold = max(MIN_THRESHOLD, NOISE_FACTOR * typical)
    changed = distance > threshold
    # A changed pixel with few changed neighbours is noise, JPEG ringing or a shadow's edge; a dart's
    # thin point still has its neighbours along it.
    neighbours = cv2.boxFilter(changed.astype(np.float32), -1, (3, 3), normalize=False)
    mask = (changed & (neighbours >= MIN_NEIGHBOURS)).astype(np.uint8) * 255
    distance[~changed] = 0.0
    return Change(diff, distance, mask, threshold)


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
