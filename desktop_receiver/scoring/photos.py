"""Command line: ``score BEFORE AFTER [AFTER...] [--chain] [--json] [--dump DIR]``: the throw detection
on still photos, to check it on real boards by eye (e.g. ../shared/realboards/marion909__bullsight: an
empty board and the same board with darts).

Each photo is calibrated on its own, since a camera that was touched between two photos has moved; the
BEFORE photo is then warped onto the AFTER photo's view of the board plane (exact for the board, where the
tip is) and the two are compared as the agent compares two still scenes, except that every new dart (up to
three) is reported, that what moved by a px or two does not count (two photos are registered less exactly
than two video frames of a still camera) and that the exposures are matched first. ``--chain`` compares
each photo with the one before it instead (a visit photographed dart by dart). Exit code 2 when a photo
cannot be read or calibrated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from desktop_receiver.calibration.homography import to_board, to_image
from desktop_receiver.calibration.pipeline import calibrate
from desktop_receiver.calibration.result import CalibrationResult
from desktop_receiver.calibration.scoring import score_board_point
from desktop_receiver.scoring.detect.analysis import Analysis, analyse_photos
from desktop_receiver.scoring.detect.detector import Observation
from desktop_receiver.scoring.detect.motion import board_region
from desktop_receiver.scoring.throw_dump import ThrowDump

EXIT_FAILED = 2
ECC_STEPS = 60  # iterations of the registration: it starts within a few pixels
FIT_ROUNDS = 3  # of the exposure fit, each without the pixels the last one fitted worst (the darts)


def warp_onto(
    image: np.ndarray, source: CalibrationResult, target: CalibrationResult, target_image: np.ndarray
) -> np.ndarray:
    """``image`` (calibrated by ``source``) as the camera of ``target`` sees its board plane. Two
    calibrations differ by a pixel or two; an intensity registration of the board (OpenCV's ECC) in
    the target's picture takes that out, so that only what changed on the board remains."""
    w, h = target.image_size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    mm = to_board(target.H_inv, np.stack([xx, yy], axis=-1).reshape(-1, 2), target.lens)
    px = to_image(source.H, mm, source.lens).reshape(h, w, 2).astype(np.float32)
    warped = cv2.remap(image, px[..., 0], px[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    region = board_region(target)
    grey = [cv2.GaussianBlur(cv2.cvtColor(i, cv2.COLOR_BGR2GRAY), (5, 5), 0) for i in (target_image, warped)]
    warp = np.eye(3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, ECC_STEPS, 1e-5)
    try:
        _, warp = cv2.findTransformECC(grey[0], grey[1], warp, cv2.MOTION_HOMOGRAPHY, criteria, region, 5)
    except cv2.error:
        return warped  # no convergence: the calibrations' alignment has to do
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpPerspective(warped, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)


def match_exposure(image: np.ndarray, target: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``image`` with the exposure and white balance of ``target`` (both BGR, registered): per channel the
    gain and offset that map ``image`` onto ``target`` over ``region`` (uint8 mask), fitted robustly so
    that the new darts do not count. Two photos are seldom taken with the same exposure; the video's
    frames are, so the agent needs no such step."""
    inside = region > 0
    out = np.empty(image.shape, np.float32)
    for c in range(3):
        x = image[..., c][inside].astype(np.float64)
        y = target[..., c][inside].astype(np.float64)
        keep = np.ones(len(x), bool)
        gain, offset = 1.0, 0.0
        for _ in range(FIT_ROUNDS):
            if np.count_nonzero(keep) < 2 or np.ptp(x[keep]) == 0:
                break
            gain, offset = np.polyfit(x[keep], y[keep], 1)
            residual = np.abs(gain * x + offset - y)
            keep = residual < 3 * np.median(residual) + 1
        out[..., c] = gain * image[..., c] + offset
    return np.clip(out, 0, 255).astype(np.uint8)


def _load(name: str) -> tuple[np.ndarray, CalibrationResult] | str:
    """The photo and its calibration, or why not."""
    image = cv2.imread(name, cv2.IMREAD_COLOR) if Path(name).is_file() else None
    if image is None:
        return f"cannot read image {name}"
    outcome = calibrate(image)
    if not outcome.ok:
        return f"no board found in {name}: {outcome.reason}"
    assert isinstance(outcome, CalibrationResult)
    return image, outcome


def _dart_record(seen: Analysis) -> dict:
    """One found dart as the JSON output shows it."""
    assert seen.tip_mm is not None and seen.tip_px is not None
    return {
        "segment": score_board_point(*seen.tip_mm).label,
        "tip_mm": [round(v, 2) for v in seen.tip_mm],
        "tip_px": [round(v, 1) for v in seen.tip_px],
        "confidence": round(seen.confidence, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Scores the darts that appear between the photos named in ``argv``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="score",
        description="Find the new dart between two photos of a board and score it (the agent's throw "
        "detection, on still photos).",
    )
    parser.add_argument("before", metavar="BEFORE", help="the board before the dart (e.g. empty)")
    parser.add_argument("after", nargs="+", metavar="AFTER", help="the board with the new dart")
    parser.add_argument("--chain", action="store_true", help="compare each AFTER with the photo before it")
    parser.add_argument("--json", action="store_true", help="one JSON object per AFTER photo on stdout")
    parser.add_argument("--dump", metavar="DIR", type=Path, help="write DIR/throws/: frames, mask, overlay")
    args = parser.parse_args(argv)
    try:
        dump = ThrowDump(args.dump) if args.dump else None
    except OSError as exc:
        parser.error(f"--dump: cannot write to {args.dump}: {exc}")
    reference = _load(args.before)
    if isinstance(reference, str):
        print(f"score: {reference}", file=sys.stderr)
        return EXIT_FAILED
    failed = False
    for index, name in enumerate(args.after, start=1):
        photo = _load(name)
        if isinstance(photo, str):
            print(f"score: {photo}", file=sys.stderr)
            failed = True
            continue
        (before, source), (after, target) = reference, photo
        warped = match_exposure(warp_onto(before, source, target, after), after, board_region(target))
        found = analyse_photos(target, warped, after)
        darts = [_dart_record(seen) for seen in found if seen.kind == "dart"]
        if dump is not None:
            for seen in found:
                dump.write(Observation(seen.kind, (index,), seen, warped, after), target)
        kind = "dart" if darts else found[0].kind
        if args.json:
            print(json.dumps({"file": name, "kind": kind, "darts": darts}))
        else:
            where = [f"{d['segment']} at {d['tip_mm'][0]:.1f}, {d['tip_mm'][1]:.1f} mm" for d in darts]
            print(f"{name}: {kind} {'; '.join(where)}".rstrip())
        if args.chain:
            reference = photo
    return EXIT_FAILED if failed else 0
