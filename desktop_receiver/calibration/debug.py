"""Debug pictures of one calibration, for people tuning it on a new photo (``calibrate --debug DIR``).

Per image, in its own folder: ``masks.png`` (the colour masks the ring search starts from: red and green
where each dominates), ``candidates.png`` (the ring candidates, best first, with their scores),
``numbers.png`` (the number ring unrolled with the numbers the chosen orientation expects in each slot,
and under it each slot as the number classifier saw it, with what it read there and the probability of
the expected number), ``edges.png`` (the fitted edge points coloured by residual: green under
1 px, yellow under 3 px, red the outliers the robust fit dropped), ``overlay.png`` and ``decisions.json``
(every step's decision with its values and thresholds, then the outcome).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from . import board
from .detect import WORK_SIZE, colour_masks
from .ellipses import ellipse_points
from .homography import sample, to_image
from .lens import Lens
from .numbers import STYLES, read_out
from .overlay import draw_overlay
from .refine import Fit
from .result import CalibrationFailure, CalibrationResult
from .trace import Trace

FILES = ("masks.png", "candidates.png", "numbers.png", "edges.png", "overlay.png", "decisions.json")


def write_debug(
    directory: Path, image: np.ndarray, outcome: CalibrationResult | CalibrationFailure, trace: Trace
) -> list[Path]:
    """Write the debug files of one calibration into ``directory`` (made if missing); returns their paths.

    Raises OSError when a file cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    scale = min(1.0, WORK_SIZE / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    pictures = {
        "masks.png": _masks(small),
        "candidates.png": _candidates(small, trace, scale),
        "overlay.png": draw_overlay(image, outcome),
    }
    fit = trace.fits[-1][1] if trace.fits else None
    h, lens = (outcome.H, outcome.lens) if outcome.ok else (fit.H, fit.lens) if fit else (None, None)
    if h is not None:
        style = outcome.number_style if outcome.ok and outcome.number_style else STYLES[2]
        pictures["numbers.png"] = _numbers(image, h, lens, style)
    if fit is not None:
        pictures["edges.png"] = _edges(image, fit)
    written = []
    for name, picture in pictures.items():
        path = directory / name
        if not cv2.imwrite(str(path), picture):
            raise OSError(f"cannot write {path}")
        written.append(path)
    path = directory / "decisions.json"
    path.write_text(json.dumps({"decisions": trace.decisions, "outcome": outcome.to_json()}, indent=1))
    return [*written, path]


def _masks(small: np.ndarray) -> np.ndarray:
    mask, diff = colour_masks(small)
    out = np.zeros_like(small)
    out[(mask > 0) & (diff > 0)] = (0, 0, 255)
    out[(mask > 0) & (diff <= 0)] = (0, 200, 0)
    return out


def _candidates(small: np.ndarray, trace: Trace, scale: float) -> np.ndarray:
    out = small.copy()
    for index, ring in enumerate(trace.candidates):
        colour = (0, 255, 255) if index == 0 else (255, 0, 255)
        for ellipse in (ring.centre, ring.axes, ring.angle_deg), ring.treble:
            if ellipse is not None:
                pts = ellipse_points(ellipse, 1.0, n=120) * scale
                cv2.polylines(out, [np.round(pts).astype(np.int32)], True, colour, 1, cv2.LINE_AA)
        x, y = (np.array(ring.centre) * scale).astype(int)
        cv2.putText(out, f"#{index} {ring.score:.2f}", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1)
    return out


def _numbers(image: np.ndarray, h: np.ndarray, lens: Lens | None, style: str) -> np.ndarray:
    """The number ring unrolled (4 px per degree clockwise from the 20's left wire, outward downwards),
    then each slot as the classifier read it: "expected>read probability" (read 0: no number)."""
    angles = np.arange(-board.SEGMENT_DEG / 2, 360 - board.SEGMENT_DEG / 2, 0.25)
    radii = np.linspace(board.R_DOUBLE_OUTER + 5, board.R_NUMBER_OUTER + 15, 60)[::-1]
    pts = board.polar_to_board(radii[:, None], angles[None, :])
    strip = np.clip(sample(image, to_image(h, pts, lens)), 0, 255).astype(np.uint8)
    slot = strip.shape[1] / board.N_SEGMENTS
    tiles = np.zeros((int(slot) + 24, strip.shape[1], 3), np.uint8)
    for k, reading in enumerate(read_out(image, h, lens, style)):
        tile = cv2.resize(reading.picture, (int(slot) - 4, int(slot) - 4), interpolation=cv2.INTER_NEAREST)
        x = int(k * slot) + 2
        tiles[2 : 2 + tile.shape[0], x : x + tile.shape[1]] = tile[..., None]
        colour = (
            (0, 255, 0)
            if reading.read == reading.expected
            else (0, 0, 255)
            if reading.visible
            else (128, 128, 128)
        )
        label = f"{reading.expected}>{reading.read} {reading.probability:.2f}"
        cv2.putText(tiles, label, (x, tiles.shape[0] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1)
    out = np.vstack([strip, np.zeros((20, strip.shape[1], 3), np.uint8), tiles])
    for k, number in enumerate(board.SEGMENTS):
        cv2.line(out, (int(k * slot), 0), (int(k * slot), strip.shape[0] + 20), (0, 255, 255), 1)
        org = (int((k + 0.35) * slot), strip.shape[0] + 15)
        cv2.putText(out, str(number), org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1)
    return out


def _edges(image: np.ndarray, fit: Fit) -> np.ndarray:
    out = (image * 0.6).astype(np.uint8)
    pts = to_image(fit.H, fit.samples.points, fit.lens)
    residual = np.abs(fit.residual_px)
    for (x, y), r, w in zip(pts, residual, fit.weight, strict=True):
        colour = (
            (0, 0, 255) if w <= 0 else (0, 255, 0) if r < 1 else (0, 255, 255) if r < 3 else (0, 128, 255)
        )
        cv2.circle(out, (int(round(x)), int(round(y))), 2, colour, -1)
    return out
