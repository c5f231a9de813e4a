"""Benchmark of dart detection (desktop_receiver.scoring.detect): seeded renders of a board before and
after one more dart, each frame with its own sensor noise and JPEG, analysed with the true calibration.

Prints the share of darts scored exactly right (overall and by camera tilt 0-30 / 30-60 degrees), the
median and 95th-percentile tip error in mm, false "dart" answers on noise-only pairs, the mean time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_board import RenderParams, lens_of, random_params, render_scene  # noqa: E402
from render_darts import random_dart  # noqa: E402

from desktop_receiver.calibration.result import CalibrationResult, homography_fields  # noqa: E402
from desktop_receiver.calibration.scoring import score_board_point  # noqa: E402
from desktop_receiver.scoring.detect.analysis import Analysis, analyse  # noqa: E402
from desktop_receiver.scoring.detect.geometry import Geometry  # noqa: E402


@dataclass(frozen=True)
class Pair:
    """Two frames of one scene: ``after`` has one dart more than ``before`` (none for a noise pair)."""

    params: RenderParams
    calibration: CalibrationResult
    before: np.ndarray
    after: np.ndarray
    tip_mm: tuple[float, float] | None


def camera_noise(
    image: np.ndarray, rng: np.random.Generator, sigma: float = 2.5, quality: int = 85
) -> np.ndarray:
    """A frame as a camera delivers it again: its own sensor noise, then a JPEG round trip."""
    noisy = np.clip(image.astype(np.float32) + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def truth_calibration(params: RenderParams, h: np.ndarray) -> CalibrationResult:
    """The calibration a perfect calibrator would return for a render."""
    return CalibrationResult(
        **homography_fields(h, lens_of(params)),
        error_px=0.0,
        error_mm=0.0,
        confidence=1.0,
        image_size=(params.width, params.height),
        ms=0.0,
    )


def make_pair(seed: int, noise_only: bool = False) -> Pair:
    """Seeded pair: a random camera and 1-3 darts, the last one new (noise only: the same darts in both)."""
    rng = np.random.default_rng([seed, 31337])
    darts = tuple(random_dart(rng) for _ in range(int(rng.integers(1, 4))))
    # Centred: the renderer places the board off-centre by moving the principal point (a cropped frame),
    # which the pose from H (calibration.pose) cannot know and a phone's whole frame does not do.
    params = replace(random_params(seed), offset=(0.0, 0.0), noise_sigma=1.0, jpeg_quality=95, darts=darts)
    after = render_scene(params)
    before = after if noise_only else render_scene(replace(params, darts=darts[:-1]))
    quality = int(rng.integers(80, 91))
    return Pair(
        params,
        truth_calibration(params, after.h),
        camera_noise(before.image, rng, float(rng.uniform(2, 3)), quality),
        camera_noise(after.image, rng, float(rng.uniform(2, 3)), quality),
        None if noise_only else after.darts[-1].tip_mm,
    )


def run(pair: Pair) -> tuple[Analysis, float]:
    """Analyse a pair; (analysis, ms) with the geometry cached as a caller would."""
    geometry = Geometry.of(pair.calibration)
    start = time.perf_counter()
    result = analyse(pair.calibration, pair.before, pair.after, geometry)
    return result, (time.perf_counter() - start) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; ``--count`` darts (seeds from ``--seed``) and as many noise-only pairs / 4."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    rows, times = [], []
    for seed in range(args.seed, args.seed + max(1, min(args.count, 2000))):
        pair = make_pair(seed)
        result, ms = run(pair)
        times.append(ms)
        exact = result.tip_mm is not None and (
            score_board_point(*result.tip_mm).label == score_board_point(*pair.tip_mm).label
        )
        err = np.hypot(*np.subtract(result.tip_mm, pair.tip_mm)) if result.tip_mm else np.inf
        rows.append((pair.params.tilt_deg, exact, err, result.kind))
        if args.verbose:
            print(
                f"seed {seed} tilt {pair.params.tilt_deg:4.1f} {result.kind:7s} err {err:7.2f} mm ok {exact}"
            )
    false_darts = 0
    noise_pairs = max(1, args.count // 4)
    for seed in range(args.seed, args.seed + noise_pairs):
        result, ms = run(make_pair(seed, noise_only=True))
        times.append(ms)
        false_darts += result.kind == "dart"
    tilt = np.array([r[0] for r in rows])
    exact = np.array([r[1] for r in rows])
    err = np.array([r[2] for r in rows])
    for name, sel in (("all", tilt >= 0), ("tilt 0-30", tilt <= 30), ("tilt 30-60", tilt > 30)):
        print(f"{name:10s}: exact {100 * exact[sel].mean():5.1f} % of {sel.sum()}")
    print(f"tip error: median {np.median(err):.2f} mm, 95th percentile {np.percentile(err, 95):.2f} mm")
    print(f"kinds: {', '.join(f'{k} {sum(r[3] == k for r in rows)}' for k in ('dart', 'nothing', 'other'))}")
    print(f"noise-only pairs: {false_darts} false darts of {noise_pairs}")
    print(f"analysis: mean {np.mean(times):.1f} ms, max {np.max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
