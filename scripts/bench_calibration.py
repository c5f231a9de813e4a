"""Benchmark the calibration on a seeded set of synthetic frames (scripts/render_board.py).

Boards span a hand-held phone's conditions (tilt up to 60 degrees, roll +-30, 25-95 % of the frame
height, glare, blur, noise, JPEG, darts, clutter, board colours) at 1280x720 (most), 640x480 and
1920x1080; board-less walls (some with red/green rings on them) test false positives. Prints the
detection rate, the false-positive rate, the error in mm (per frame: the mean distance, on the board
plane, between where the estimated and the true homography put board points up to r = 170 mm; then median
and p95 over frames), wrong answers (a detection more than 5 mm off), and ms per 1280x720 frame on one
OpenCV thread (wall clock, and this thread's CPU time, which other processes on a busy machine do not
inflate).

    .venv/bin/python scripts/bench_calibration.py [--boards 220] [--empty 50] [--max-seconds 600]
    .venv/bin/python scripts/bench_calibration.py --real ../shared/realboards   # the real photos first

With ``--real`` the photos of that folder (scripts/realboards.py) come first: detection per kind of photo,
for labelled photos the error in mm (each keypoint mapped back through the labelled homography to the
board plane), its median, p95 and radial bias, wrong orientations (a keypoint more than 20 mm off), boards
reported on out-of-scope photos, and CPU ms per image (median, and the slowest with its size).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import realboards  # noqa: E402
from render_board import random_params, render  # noqa: E402

from desktop_receiver.calibration import CalibrationFailure, CalibrationResult, calibrate  # noqa: E402
from desktop_receiver.calibration.homography import board_error_mm  # noqa: E402

SIZES = ((1280, 720),) * 6 + ((640, 480),) * 2 + ((1920, 1080),) * 2
WRONG_MM = 5.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 (the figures are the output, not a pass/fail)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boards", type=int, default=220, help="frames with a board (>= 200 for the report)")
    ap.add_argument("--empty", type=int, default=50, help="frames without a board")
    ap.add_argument("--seed", type=int, default=20_000)
    ap.add_argument("--max-seconds", type=float, default=600.0, help="stop early after this long")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failure and wrong answer")
    ap.add_argument(
        "--real", type=Path, metavar="DIR", help="also the real photos of DIR (../shared/realboards)"
    )
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    if args.real is not None:
        try:
            photos = realboards.load(args.real)
        except (OSError, ValueError) as exc:
            ap.error(f"--real {args.real}: {exc}")
        bench_real(photos, args.verbose)
    bench_synthetic(args)
    return 0


def bench_synthetic(args: argparse.Namespace) -> None:
    """Calibrate the seeded renders and print the figures of the synthetic benchmark."""
    calibrate(render(random_params(0))[0])  # warm-up: caches and lazy imports out of the timings
    start = time.perf_counter()
    errors, ms_720, cpu_720, reasons, wrong = [], [], [], collections.Counter(), 0
    detected = boards = false_pos = empties = 0
    cases = [(i, True) for i in range(args.boards)] + [(args.boards + i, False) for i in range(args.empty)]
    for index, has_board in cases:
        if time.perf_counter() - start > args.max_seconds:
            print(f"time budget reached after {boards} boards and {empties} empty frames")
            break
        w, h = SIZES[index % len(SIZES)]
        params = random_params(args.seed + index, w, h, has_board=has_board)
        image, h_true = render(params)
        cpu = time.thread_time()
        outcome = calibrate(image)
        if (w, h) == (1280, 720):
            ms_720.append(outcome.ms)
            cpu_720.append((time.thread_time() - cpu) * 1000)
        if not has_board:
            empties += 1
            false_pos += outcome.ok
            if outcome.ok and args.verbose:
                print(f"  false positive: seed {params.seed}, confidence {outcome.confidence:.2f}")
            continue
        boards += 1
        if not outcome.ok:
            reasons[outcome.reason] += 1
            if args.verbose:
                print(f"  failed ({outcome.reason}): seed {params.seed} {w}x{h} {_describe(params)}")
            continue
        detected += 1
        err = float(board_error_mm(outcome.H, h_true).mean())
        errors.append(err)
        if err > WRONG_MM:
            wrong += 1
            if args.verbose:
                print(f"  wrong by {err:.1f} mm (confidence {outcome.confidence:.2f}): seed {params.seed}")
    elapsed = time.perf_counter() - start
    errors_a = np.array(errors) if errors else np.array([np.nan])
    print(f"boards: {boards}, empty frames: {empties}, {elapsed:.0f} s")
    print(f"detection rate: {detected / max(boards, 1) * 100:.1f}% ({detected}/{boards})")
    print(f"false positive rate: {false_pos / max(empties, 1) * 100:.1f}% ({false_pos}/{empties})")
    print(f"wrong answers (> {WRONG_MM:.0f} mm): {wrong}")
    print(
        f"error mm: median {np.median(errors_a):.3f}, p95 {np.percentile(errors_a, 95):.3f}, "
        f"max {errors_a.max():.3f}"
    )
    if ms_720:
        wall, cpu = np.array(ms_720), np.array(cpu_720)
        print(
            f"ms per 1280x720 frame: wall median {np.median(wall):.1f}, p95 {np.percentile(wall, 95):.1f}; "
            f"CPU (this thread) median {np.median(cpu):.1f}, p95 {np.percentile(cpu, 95):.1f} "
            f"(n={len(wall)}, cv2 threads: {cv2.getNumThreads()})"
        )
    if reasons:
        print("failures: " + ", ".join(f"{r}: {n}" for r, n in reasons.most_common()))


def _calibrate_photo(
    photo: realboards.RealPhoto, cpu: list[tuple[float, str, str]]
) -> CalibrationResult | CalibrationFailure:
    """The photo's calibration outcome, its CPU time appended to ``cpu``; a missing or broken file is a
    failure of its photo instead of the end of the benchmark."""
    try:
        image = photo.read()
    except OSError:
        return CalibrationFailure("unreadable image")
    start = time.thread_time()
    outcome = calibrate(image)
    cpu.append(((time.thread_time() - start) * 1000, f"{image.shape[1]}x{image.shape[0]}", photo.file))
    return outcome


def _print_timings_and_failures(
    cpu: list[tuple[float, str, str]], failures: list[str], verbose: bool
) -> None:
    """CPU ms per photo (median and slowest) and the failures (each, or counted by reason)."""
    if cpu:
        ms, slowest = np.array([c[0] for c in cpu]), max(cpu)
        where = f"{slowest[1]}, {slowest[2]}"
        print(f"CPU ms per photo: median {np.median(ms):.1f}, max {slowest[0]:.1f} ({where})")
    if failures and verbose:
        print("failures:" + "".join(f"\n  {f}" for f in failures))
    elif failures:
        reasons = collections.Counter(f.rsplit(": ", 1)[1] for f in failures)
        print("failures: " + ", ".join(f"{r}: {n}" for r, n in reasons.most_common()))


def bench_real(photos: list[realboards.RealPhoto], verbose: bool) -> None:
    """Calibrate every photo and print the figures of the real-photo benchmark."""
    calibrate(render(random_params(0))[0])  # warm-up: caches and lazy imports out of the timings
    per_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    errors, radial, cpu, failures, wrong, out_of_scope_ok = [], [], [], [], [], []
    read = 0
    for photo in photos:
        outcome = _calibrate_photo(photo, cpu)
        if not photo.in_scope:
            if outcome.ok:
                out_of_scope_ok.append(photo.file)
            continue
        kind = f"{photo.kind} ({photo.view})"
        per_kind[kind][1] += 1
        if not outcome.ok:
            failures.append(f"{photo.file}: {outcome.reason}")
            continue
        per_kind[kind][0] += 1
        read += not outcome.guessed_orientation
        if photo.cal_points_px is None:
            continue
        err = realboards.label_error(outcome.keypoints, photo.cal_points_px)
        if err.wrong_orientation:
            how = "guessed" if outcome.guessed_orientation else "READ"
            wrong.append(f"{photo.file}: {err.mean_mm:.0f} mm ({how})")
            continue
        errors.append(err.mean_mm)
        radial.append(err.radial_mm)
    found = sum(v[0] for v in per_kind.values())
    total = sum(v[1] for v in per_kind.values())
    print(f"real photos: {len(photos)} ({total} in scope)")
    for kind, (ok, n) in sorted(per_kind.items()):
        print(f"  {kind}: {ok}/{n}")
    print(f"in-scope detection: {found / max(total, 1) * 100:.1f}% ({found}/{total})")
    print(f"orientation read from the numbers: {read}, guessed (the 20 near up): {found - read}")
    e = np.array(errors) if errors else np.array([np.nan])
    print(
        f"labelled error mm (n={len(errors)}): median {np.median(e):.2f}, p95 {np.percentile(e, 95):.2f}, "
        f"max {e.max():.2f}; radial bias {np.mean(radial) if radial else float('nan'):+.2f}"
    )
    print(f"wrong orientations: {len(wrong)}" + "".join(f"\n  {w}" for w in wrong))
    print(
        f"out-of-scope photos calibrated: {len(out_of_scope_ok)}"
        + "".join(f"\n  {f}" for f in out_of_scope_ok)
    )
    _print_timings_and_failures(cpu, failures, verbose)


def _describe(p) -> str:
    return (
        f"tilt {p.tilt_deg:.0f} roll {p.roll_deg:.0f} fill {p.fill:.2f} glare {p.glare:.0f} "
        f"blur {p.blur_sigma:.1f} darts {p.n_darts}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
