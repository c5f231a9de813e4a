"""With --dump: every throw the detector saw, as files a person can look at to understand a wrong score:
the reference and the still frames it was found in, the change mask, and the tip with its score drawn
over the frame (with the calibration's rings), listed in DIR/throws/throws.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from desktop_receiver.calibration.overlay import draw_overlay
from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.calibration.scoring import score_board_point
from desktop_receiver.scoring.detect.detector import Observation

SUBDIRECTORY = "throws"
INDEX_FILE = "throws.jsonl"
TIP_COLOUR = (0, 0, 255)
MASK_COLOUR = (0, 200, 255)
FILE_KINDS = {"before": "jpg", "after": "jpg", "mask": "png", "overlay": "jpg"}  # file of each, its format


class ThrowDump:
    """Writes observations (from the detector's thread) under ``directory``/throws."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / SUBDIRECTORY
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clear()
        self._count = 0

    def _clear(self) -> None:
        """Removes an earlier run's files (those its index lists, and only those) and its index, so the
        directory describes this run."""
        index = self.directory / INDEX_FILE
        if not index.exists():
            return
        for line in index.read_text(encoding="utf-8").splitlines():
            try:
                names = [json.loads(line)[key] for key in FILE_KINDS]
            except (ValueError, KeyError, TypeError):
                continue
            for name in names:
                if isinstance(name, str):
                    (self.directory / Path(name).name).unlink(missing_ok=True)
        index.unlink()

    def write(self, observation: Observation, calibration: CalibrationResult) -> None:
        """Writes the files of one observation that compared two frames (others are skipped)."""
        seen = observation.analysis
        if seen is None or observation.before is None or observation.after is None:
            return
        self._count += 1
        stem = f"{self._count:04d}_{observation.kind}"
        files = {kind: f"{stem}_{kind}.{ext}" for kind, ext in FILE_KINDS.items()}
        cv2.imwrite(str(self.directory / files["before"]), observation.before)
        cv2.imwrite(str(self.directory / files["after"]), observation.after)
        cv2.imwrite(str(self.directory / files["mask"]), seen.mask)
        label = score_board_point(*seen.tip_mm).label if seen.tip_mm is not None else None
        cv2.imwrite(str(self.directory / files["overlay"]), _overlay(observation, calibration, label))
        record = {
            "kind": observation.kind,
            "frames": list(observation.frames),
            "segment": label,
            "tip_mm": seen.tip_mm,
            "tip_px": seen.tip_px,
            "confidence": round(seen.confidence, 3),
            "changed_mm2": round(seen.changed_mm2, 1),
            **files,
        }
        with open(self.directory / INDEX_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def _overlay(observation: Observation, calibration: CalibrationResult, label: str | None) -> np.ndarray:
    """The still frame with the calibration, the change's outline, and the tip with its score."""
    assert observation.after is not None and observation.analysis is not None
    out = draw_overlay(observation.after, calibration)
    contours, _ = cv2.findContours(observation.analysis.mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, MASK_COLOUR, 1, cv2.LINE_AA)
    tip = observation.analysis.tip_px
    if tip is not None:
        centre = (int(round(tip[0])), int(round(tip[1])))
        cv2.drawMarker(out, centre, TIP_COLOUR, cv2.MARKER_CROSS, 24, 2)
        cv2.putText(
            out, label or "", (centre[0] + 10, centre[1] - 10), cv2.FONT_HERSHEY_SIMPLEX, 1.0, TIP_COLOUR, 2
        )
    return out
