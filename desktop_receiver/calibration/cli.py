"""Command line: ``calibrate IMAGE [IMAGE...] [--json] [--overlay OUT.png]`` (issue 4).

Run as ``python -m desktop_receiver.calibration.cli calibrate IMAGE ...`` (the leading ``calibrate`` is
optional, so that ``python -m desktop_receiver calibrate ...`` can hand its arguments over). With
``--json`` every image gives exactly one JSON object on its own line; the exit code is 2 if any image
failed to calibrate, 0 otherwise. With several images and ``--overlay``, the image's index is added to
the overlay's file name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2

from .overlay import draw_overlay
from .pipeline import calibrate
from .result import CalibrationFailure, CalibrationResult

EXIT_FAILED = 2


def main(argv: list[str] | None = None) -> int:
    """Calibrate the images named in ``argv``; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["calibrate"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="calibrate", description="Find the dartboard's homography.")
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="one JSON object per image on stdout")
    parser.add_argument("--overlay", metavar="OUT.png", help="write the frame with the fitted board drawn")
    args = parser.parse_args(argv)
    failed = False
    for index, name in enumerate(args.images):
        image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
        if image is None:
            outcome: CalibrationResult | CalibrationFailure = CalibrationFailure(f"cannot read image {name}")
        else:
            outcome = calibrate(image)
            if args.overlay:
                cv2.imwrite(
                    _overlay_path(args.overlay, index, len(args.images)), draw_overlay(image, outcome)
                )
        failed |= not outcome.ok
        print(json.dumps(outcome.to_json()) if args.json else _describe(name, outcome), flush=True)
    return EXIT_FAILED if failed else 0


def _overlay_path(template: str, index: int, count: int) -> str:
    if count == 1:
        return template
    path = Path(template)
    return str(path.with_name(f"{path.stem}_{index}{path.suffix or '.png'}"))


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
