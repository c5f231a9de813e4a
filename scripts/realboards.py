"""The real photos of ../shared/realboards (its README: sources and labels) and their measurement.

The photos are data from other repositories: they are read from where they lie, never copied. A labelled
photo has the four DeepDarts points (the outer double wire at the 5/20, 13/6, 17/3 and 8/11 boundaries);
a prediction is measured as that README says: each predicted keypoint is mapped back through the labelled
homography to the board plane, and its distance from where it should be is its error in mm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT.parent / "shared" / "realboards"
KEYPOINTS = ("5/20", "13/6", "17/3", "8/11")
WRONG_ORIENTATION_MM = 20.0


@dataclass(frozen=True)
class RealPhoto:
    """One photo of the manifest, with its label if it has one."""

    path: Path
    file: str  # as in the manifest: "<owner>__<repo>/<name>"
    view: str  # face-on, oblique, unknown
    kind: str  # the source repository: photos of one source share camera and board
    in_scope: bool
    notes: str
    cal_points_px: np.ndarray | None  # (4, 2) in KEYPOINTS order

    def read(self) -> np.ndarray:
        """The photo as a BGR array (raises OSError when it cannot be read)."""
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f"cannot read {self.path}")
        return image


def load(directory: Path = DEFAULT_DIR) -> list[RealPhoto]:
    """Every photo of the manifest in ``directory``; raises FileNotFoundError when it is missing."""
    manifest = json.loads((directory / "manifest.json").read_text())
    labels = json.loads((directory / "annotations.json").read_text())
    photos = []
    for entry in manifest:
        label = labels.get(entry["file"])
        points = np.array(label["cal_points_px"], float) if label and "cal_points_px" in label else None
        photos.append(
            RealPhoto(
                path=directory / entry["file"],
                file=entry["file"],
                view=entry.get("view", "unknown"),
                kind=entry["file"].split("/")[0],
                in_scope=bool(entry.get("in_scope", True)),
                notes=entry.get("notes", ""),
                cal_points_px=points,
            )
        )
    return photos


def board_points() -> np.ndarray:
    """Board points (mm) of the four labelled boundaries, in KEYPOINTS order."""
    from desktop_receiver.calibration import board

    points = board.calibration_points()
    return np.array([points[k] for k in KEYPOINTS])


@dataclass(frozen=True)
class LabelError:
    """How far a calibration's keypoints are from a photo's labels, on the board plane."""

    mean_mm: float  # mean distance of the four keypoints
    radial_mm: float  # mean of |p| - 170 mm: positive when the keypoints lie outside the labelled wire
    wrong_orientation: bool  # a keypoint more than WRONG_ORIENTATION_MM off


def label_error(keypoints: dict[str, tuple[float, float]], cal_points_px: np.ndarray) -> LabelError:
    """The error of predicted image ``keypoints`` against the labelled ``cal_points_px``."""
    truth = board_points()
    labelled = cv2.getPerspectiveTransform(truth.astype(np.float32), cal_points_px.astype(np.float32))
    predicted = np.array([keypoints[k] for k in KEYPOINTS], float)
    back = cv2.perspectiveTransform(predicted[None], np.linalg.inv(labelled))[0]
    distances = np.linalg.norm(back - truth, axis=1)
    radial = np.linalg.norm(back, axis=1) - np.linalg.norm(truth, axis=1)
    wrong = bool(distances.max() > WRONG_ORIENTATION_MM)
    return LabelError(float(distances.mean()), float(radial.mean()), wrong)


_ROTATIONS = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turned(image: np.ndarray, points_px: np.ndarray, quarter_turns: int) -> tuple[np.ndarray, np.ndarray]:
    """A photo and its labelled points turned clockwise by ``quarter_turns`` times 90 degrees (as a
    camera rolled the other way would have taken it)."""
    q = quarter_turns % 4
    if q == 0:
        return image, points_px
    h, w = image.shape[:2]
    x, y = points_px[:, 0], points_px[:, 1]
    moved = {1: (h - 1 - y, x), 2: (w - 1 - x, h - 1 - y), 3: (y, w - 1 - x)}[q]
    return cv2.rotate(image, _ROTATIONS[q]), np.column_stack(moved)
