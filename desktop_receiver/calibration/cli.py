"""Command line: ``calibrate IMAGE [IMAGE...] [--json] [--overlay OUT.png] [--debug DIR]``.

Run as ``python -m desktop_receiver.calibration.cli calibrate IMAGE ...`` (the leading ``calibrate`` is
optional, so that ``python -m desktop_receiver calibrate ...`` can hand its arguments over). With
``--json`` every image gives exactly one JSON object on its own line; the exit code is 2 if any image
failed to calibrate, 0 otherwise. With several images and ``--overlay``, the image's index is added to
the overlay's file name. An overlay that cannot be written (no such directory, a file name without an
image extension OpenCV can write, a write error) is reported on stderr and makes the exit code 3; a bad
``--overlay`` path is refused before any image is calibrated. ``--debug DIR`` writes, per image, a folder
``DIR/<image name>/`` of intermediate pictures and the decisions taken (see calibration.debug); a debug
folder that cannot be written is reported the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from .debug import write_debug
from .overlay import draw_overlay
from .pipeline import calibrate
from .result import CalibrationFailure, CalibrationResult
from .trace import Trace

EXIT_FAILED = 2
EXIT_OVERLAY = 3


def main(argv: list[str] | None = None) -> int:
    """Calibrate the images named in ``argv``; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["calibrate"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="calibrate", description="Find the dartboard's homography.")
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="one JSON object per image on stdout")
    parser.add_argument("--overlay", metavar="OUT.png", help="write the frame with the fitted board drawn")
    parser.add_argument(
        "--debug",
        metavar="DIR",
        type=Path,
        help="write DIR/<image name>/: colour masks, ring candidates, number ring, edge residuals, decisions",
    )
    args = parser.parse_args(argv)
    if args.overlay:
        problem = _overlay_problem(_overlay_path(args.overlay, 0, len(args.images)))
        if problem:
            print(f"calibrate: cannot write the overlay {args.overlay}: {problem}", file=sys.stderr)
            return EXIT_OVERLAY
    failed = overlay_failed = False
    for index, name in enumerate(args.images):
        image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
        if image is None:
            outcome: CalibrationResult | CalibrationFailure = CalibrationFailure(f"cannot read image {name}")
        else:
            trace = Trace() if args.debug else None
            outcome = calibrate(image, trace)
            if trace is not None and not _debug(args.debug / Path(name).stem, image, outcome, trace):
                overlay_failed = True
            if args.overlay:
                path = _overlay_path(args.overlay, index, len(args.images))
                problem = _write_image(path, draw_overlay(image, outcome))
                if problem:
                    print(f"calibrate: cannot write the overlay {path}: {problem}", file=sys.stderr)
                    overlay_failed = True
        failed |= not outcome.ok
        print(json.dumps(outcome.to_json()) if args.json else _describe(name, outcome), flush=True)
    return EXIT_OVERLAY if overlay_failed else EXIT_FAILED if failed else 0


def _debug(directory: Path, image: np.ndarray, outcome, trace: Trace) -> bool:
    """Write one image's debug folder; False (reported on stderr) if that failed."""
    try:
        write_debug(directory, image, outcome, trace)
    except OSError as exc:
        print(f"calibrate: cannot write the debug files in {directory}: {exc}", file=sys.stderr)
        return False
    return True


def _overlay_path(template: str, index: int, count: int) -> str:
    if count == 1:
        return template
    path = Path(template)
    return str(path.with_name(f"{path.stem}_{index}{path.suffix or '.png'}"))


def _overlay_problem(path: str) -> str | None:
    """Why an overlay cannot be written to ``path`` (checked before calibrating), or None."""
    parent = Path(path).parent
    if not parent.is_dir():
        return f"no such directory {parent}"
    if not cv2.haveImageWriter(path):
        return "the file name needs an image extension such as .png or .jpg"
    return None


def _write_image(path: str, image: np.ndarray) -> str | None:
    """Write ``image`` to ``path``; the reason if that failed (cv2.imwrite only returns False)."""
    try:
        ok = cv2.imwrite(path, image)
    except cv2.error as exc:
        return str(exc).strip().splitlines()[-1]
    return None if ok else "OpenCV could not write the file"


def _describe(name: str, outcome: CalibrationResult | CalibrationFailure) -> str:
    if not outcome.ok:
        return f"{name}: failed: {outcome.reason}"
    bull = outcome.keypoints["bull"]
    return (
        f"{name}: bull at ({bull[0]:.1f}, {bull[1]:.1f}) px, error {outcome.error_px:.2f} px / "
        f"{outcome.error_mm:.2f} mm, confidence {outcome.confidence:.2f}, {outcome.ms:.0f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
