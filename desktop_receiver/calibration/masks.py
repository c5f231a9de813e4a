"""Colour masks of the coloured rings: where red or green clearly dominates, and where the red/green
opponent signal is strong after a colour balance (blue or warm light, faint rings), and where a dark red
is (boards whose green is too dark to be told from black).

Each mask comes with the image's red-minus-green (R - G), whose sign tells red from green.
"""

from __future__ import annotations

import cv2
import numpy as np


def colour_masks(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ring mask, red-minus-green) of an image: the mask is on where red or green clearly dominates.

    A ring pixel's dominant channel must exceed both others by a fraction of its brightness: this keeps
    black and cream out (they stay near R = G = B even under a colour cast) and works in dim light,
    while magenta, purple or cyan walls (two strong channels) stay out too.
    """
    # A light blur first: phone video has half-resolution, noisy chroma.
    b, g, r = (c.astype(np.int16) for c in cv2.split(cv2.blur(bgr, (3, 3))))
    diff = r - g
    # Green rings border cream segments and lose chroma when blurred into them, while a colour cast
    # never makes cream very green: a lower threshold for green than for red.
    # Red must also be red, not orange: a wooden cabinet or cork (hue 20-40 degrees) passes the first test
    # and, touching the double ring, hides it; the board's red stays within about 10 degrees of pure red.
    # Hue 18 degrees: (g - b) / (r - min(g, b)) = 18 / 60.
    red = ((r - np.maximum(g, b)) * 10 > r * 3) & ((g - b) * 10 < (r - np.minimum(g, b)) * 3)
    green = (g - np.maximum(r, b)) * 10 > g * 2
    mask = (red | green) & (np.maximum(r, g) > 30) & (np.abs(diff) > 15)
    return mask.astype(np.uint8), diff


def opponent_masks(
    bgr: np.ndarray, white_patch: bool = False, despeckle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(ring mask, red-minus-green) after a colour balance, from the red/green opponent signal alone.

    Under a blue or warm cast the ring colours shift (red turns pink or orange, green teal) but stay on
    opposite sides of R = G, while black, cream and white stay near it once the cast is balanced out. Only
    hues of red up to orange-red (27 degrees) count as red: wood and cork are further towards yellow.
    The balance takes the light's colour from the mean of all unclipped pixels (grey world) or, with
    ``white_patch``, from the brightest of them (cream, a white surround or wall), which a wooden cabinet
    filling the view does not fool. ``despeckle`` drops isolated pixels (and rings under 2 px wide).
    """
    blurred = cv2.blur(bgr, (3, 3))
    balanced = cv2.transform(blurred, np.diag(_light_gains(blurred, white_patch)))
    b, g, r = (c.astype(np.int16) for c in cv2.split(balanced))
    diff = r - g
    bright = np.maximum(np.maximum(b, g), r)
    strong = (np.abs(diff) * 4 > bright) & (bright > 50) & (np.abs(diff) > 20)
    red = (diff > 0) & ((g - b) * 20 < (r - np.minimum(g, b)) * 9)
    mask = (strong & (red | (diff < 0))).astype(np.uint8)
    # The median drops the speckle of dark, noisy segments (whose few counts of chroma the balance
    # amplifies) and keeps rings down to 2 px wide.
    return (cv2.medianBlur(mask, 3) if despeckle else mask), diff


def dark_red_mask(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask of dark red, red-minus-green) for boards whose rings are dark: red segments down to a
    brightness of 20, where opponent_masks asks for 50.

    Lower floors let the noise of dark areas through, so the red must make up a larger share of the
    pixel's brightness (R - G above a third of it, where opponent_masks asks for a quarter), and it must
    be red up to orange-red, after a white-patch balance, as there. Isolated pixels are kept (the arcs of
    small boards are thin).
    """
    blurred = cv2.blur(bgr, (3, 3))
    balanced = cv2.transform(blurred, np.diag(_light_gains(blurred, True)))
    b, g, r = (c.astype(np.int16) for c in cv2.split(balanced))
    diff = r - g
    bright = np.maximum(np.maximum(b, g), r)
    red = (diff * 3 > bright) & (bright > 20) & (diff > 6) & ((g - b) * 20 < (r - np.minimum(g, b)) * 9)
    return red.astype(np.uint8), diff


def _light_gains(bgr: np.ndarray, white_patch: bool) -> np.ndarray:
    """Per-channel gains (mean 1) that make the light's colour neutral, estimated on every 4th pixel."""
    pixels = bgr[::4, ::4].reshape(-1, 3).astype(np.float32)
    # A white blown out to 255 says nothing about the light.
    pixels = pixels[pixels.max(axis=1) < 250]
    if white_patch and len(pixels):
        total = pixels.sum(axis=1)
        pixels = pixels[total >= np.percentile(total, 90)]
    if len(pixels) < 100:
        return np.ones(3)
    means = pixels.mean(axis=0) + 1.0
    return means.mean() / means
