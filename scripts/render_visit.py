"""Rendered clips of whole darts visits with their ground truth, for testing and benchmarking dart scoring.

A visit: the still board; each dart flies in (a few motion-blurred frames along its axis), sticks, wobbles
and rests; a hand pulls the darts and leaves; the empty board again. Also bouncers (a dart hits and falls
out), darts that stick and fall out a moment later, darts that knock an earlier one aside, and hands that
pass without a throw. The board, camera and darts are scripts/render_board.py's; the clip is a y4m
(scripts/y4m_io.py) with a JSON of its truth beside it.

Importable: ``VisitPlan``, ``Bouncer``, ``FallsOut``, ``Knocks``, ``render_visit(plan) -> Clip``,
``write_clip(clip, prefix)``, ``random_visit(seed, ...)``, ``hand_clip(seed, seconds, ...)``.
CLI: ``python scripts/render_visit.py --help``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render_board import RenderParams, random_params  # noqa: E402
from render_darts import Dart, beside_wires, random_dart  # noqa: E402
from render_timeline import Frames, TruthEvent, VisitTimeline  # noqa: E402
from y4m_io import write_frames  # noqa: E402


@dataclass(frozen=True)
class Bouncer:
    """A dart that hits the board at ``dart``'s point and angle and falls out."""

    dart: Dart


@dataclass(frozen=True)
class FallsOut:
    """A dart that sticks at ``dart``'s point and angle, rests, and falls out ``after_s`` later."""

    dart: Dart
    after_s: float = 1.0


@dataclass(frozen=True)
class Knocks:
    """A dart that sticks at ``dart``'s point and angle and knocks dart ``earlier`` (its number in the visit,
    1-based) to ``tilt_deg`` and ``azimuth_deg``: the earlier dart's point stays where it is, as when a
    dart hits another's shaft or flight."""

    dart: Dart
    earlier: int
    tilt_deg: float
    azimuth_deg: float


@dataclass(frozen=True)
class VisitPlan:
    """Everything that defines one clip; the same plan always gives the same frames.

    ``base``: the board, camera, wall and camera degradations (its darts are ignored, and its JPEG quality
    is applied per frame); ``darts``: thrown in this order (a visit has up to 3); ``hand_passes``: hands
    that come and go before the first throw, without touching anything.
    """

    base: RenderParams
    fps: int = 30
    darts: tuple[Dart | Bouncer | FallsOut | Knocks, ...] = ()
    takeout: bool = True  # a hand pulls the darts after the last throw
    hand_passes: int = 0
    still_before_s: float = 1.0
    still_between_s: float = 1.0  # after each throw, bouncer and hand pass
    still_after_s: float = 1.5  # after the takeout (or the last throw)
    hand_pause_s: float = 0.35  # the hand's stay at each dart it pulls; a passing hand stays 2x
    flight_frames: int = 3  # frames of the dart in the air
    wobble_s: float = 0.15  # of the stuck dart, before it is at rest
    noise_sigma: float = 2.0  # fresh sensor noise per frame, on top of ``base.noise_sigma``'s fixed pattern
    flicker: float = 0.0  # per-frame gain's standard deviation (mains lighting), e.g. 0.01
    total_s: float | None = None  # the last still lasts until then (hand clips of a given length)


@dataclass(frozen=True)
class Clip:
    """A rendered visit: its frames (BGR uint8, made when indexed or iterated), the truth in frame order,
    the camera's H (board mm -> image px), the frame size (w, h) and the plan it was rendered from."""

    plan: VisitPlan
    frames: Frames
    truth: tuple[TruthEvent, ...]
    h: np.ndarray
    size: tuple[int, int]
    fps: int


def render_visit(plan: VisitPlan) -> Clip:
    """Render ``plan`` (each still state of the board once; moving darts and hands composited per frame)."""
    if len(plan.darts) > 3:
        raise ValueError(f"a visit has at most 3 darts, got {len(plan.darts)}")
    stuck = [_stuck(d) for d in plan.darts if not isinstance(d, Bouncer)]
    # A knocked dart is another dart of the timeline: the earlier one at its new angle.
    knocked = {n: _knocked(plan.darts, n) for n, d in enumerate(plan.darts, 1) if isinstance(d, Knocks)}
    stuck += knocked.values()
    tl = VisitTimeline(plan.base, stuck, plan.fps, plan.base.seed)
    tl.still(plan.still_before_s)
    for _ in range(plan.hand_passes):
        tl.hand_pass(2 * plan.hand_pause_s)
        tl.still(plan.still_between_s)
    flight = max(1, round(plan.flight_frames * plan.fps / 30))
    for number, thrown in enumerate(plan.darts, start=1):
        if isinstance(thrown, Bouncer):
            tl.bounce(thrown.dart, number, flight)
        elif isinstance(thrown, FallsOut):
            tl.throw(stuck.index(thrown.dart), number, flight, plan.wobble_s)
            tl.still(thrown.after_s)
            tl.fall_out(stuck.index(thrown.dart), number)
        elif isinstance(thrown, Knocks):
            hit = stuck.index(_stuck(plan.darts[thrown.earlier - 1]))
            tl.throw(
                stuck.index(thrown.dart), number, flight, plan.wobble_s, (hit, stuck.index(knocked[number]))
            )
        else:
            tl.throw(stuck.index(thrown), number, flight, plan.wobble_s)
        tl.still(plan.still_between_s)
    if plan.takeout and tl.state:
        tl.takeout(plan.hand_pause_s)
        tl.still(plan.still_after_s)
    if plan.total_s is not None and len(tl.recipes) < plan.total_s * plan.fps:
        tl.still(plan.total_s - len(tl.recipes) / plan.fps)
    jpeg = plan.base.jpeg_quality
    frames = tl.frames(plan.noise_sigma, plan.flicker, jpeg)
    return Clip(plan, frames, tuple(sorted(tl.truth, key=lambda e: e.frame)), tl.h, tl.size, plan.fps)


def _stuck(thrown: Dart | Bouncer | FallsOut | Knocks) -> Dart:
    return thrown if isinstance(thrown, Dart) else thrown.dart


def _knocked(darts: Sequence[Dart | Bouncer | FallsOut | Knocks], number: int) -> Dart:
    """The dart that dart ``number`` (a Knocks) hits, at its new angle."""
    knocks = darts[number - 1]
    assert isinstance(knocks, Knocks)
    if not 1 <= knocks.earlier < number or not isinstance(darts[knocks.earlier - 1], Dart | Knocks):
        raise ValueError(f"dart {knocks.earlier} is not in the board when dart {number} comes")
    if any(isinstance(d, Knocks) and d.earlier == knocks.earlier for d in darts[: number - 1]):
        raise ValueError(f"dart {knocks.earlier} is knocked twice")
    return replace(
        _stuck(darts[knocks.earlier - 1]), tilt_deg=knocks.tilt_deg, azimuth_deg=knocks.azimuth_deg
    )


def write_clip(clip: Clip, prefix: str | Path) -> tuple[Path, Path]:
    """Write ``prefix``.y4m (the frames) and ``prefix``.json (fps, size, frame count, H, truth events, and
    the camera's RenderParams as "params")."""
    prefix = Path(prefix)
    prefix = prefix.with_suffix("") if prefix.suffix in (".y4m", ".json") else prefix
    y4m, meta = Path(f"{prefix}.y4m"), Path(f"{prefix}.json")
    n = write_frames(y4m, clip.frames, clip.fps)
    truth = {
        "fps": clip.fps,
        "width": clip.size[0],
        "height": clip.size[1],
        "frames": n,
        "H": clip.h.ravel().tolist(),
        "events": [asdict(e) for e in clip.truth],
        "params": asdict(clip.plan.base),
    }
    meta.write_text(json.dumps(truth, indent=1))
    return y4m, meta


def _camera(seed: int, width: int, height: int) -> RenderParams:
    """A phone's view of the board for benchmarks: tilt 0-60, any roll, fill 0.5-0.9, no lens."""
    rng = np.random.default_rng([seed, 31_337])
    return replace(
        random_params(seed, width, height),
        tilt_deg=float(rng.uniform(0, 60)),
        roll_deg=float(rng.uniform(0, 360)),
        fill=float(rng.uniform(0.5, 0.9)),
        offset=(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.5, 0.5))),
        noise_sigma=float(rng.uniform(0.5, 1.5)),
        n_darts=0,
        darts=(),
        lens_k=0.0,
    )


def random_visit(
    seed: int,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    bouncer: bool = False,
    falls_out: bool = False,
    knocks: bool = False,
) -> VisitPlan:
    """A seeded visit for benchmarks: a random camera (see _camera), 3 random darts, none inside a wire (the
    2nd a bouncer if ``bouncer``; the 1st falls out a second after it stuck if ``falls_out``; the 2nd lands
    next to the 1st and knocks it to another angle if ``knocks``), then a takeout."""
    rng = np.random.default_rng([seed, 27_183])
    darts: list[Dart | Bouncer | FallsOut | Knocks] = [_thrown(random_dart(rng)) for _ in range(3)]
    if bouncer:
        darts[1] = Bouncer(darts[1])
    if falls_out:
        darts[0] = FallsOut(darts[0])
    if knocks:
        darts[1] = _knocking(rng, darts[0], random_dart(rng))
    return VisitPlan(
        _camera(seed, width, height),
        fps=fps,
        darts=tuple(darts),
        noise_sigma=float(rng.uniform(1.5, 3.0)),
        flicker=float(rng.uniform(0, 0.01)),
    )


def _thrown(dart: Dart) -> Dart:
    """``dart`` where a thrown one sticks: beside a wire, never in it (render_darts.beside_wires)."""
    return replace(dart, tip=beside_wires(dart.tip))


def _knocking(rng: np.random.Generator, hit: Dart, dart: Dart) -> Knocks:
    """``dart`` moved to land 10-25 mm from ``hit``'s point (on the board), knocking it by 8-20 degrees."""
    away = rng.uniform(10, 25) * np.array([math.cos(a := rng.uniform(0, 2 * math.pi)), math.sin(a)])
    tip = np.clip(np.add(hit.tip, away), -160, 160)
    return Knocks(
        _thrown(replace(dart, tip=(float(tip[0]), float(tip[1])))),
        earlier=1,
        tilt_deg=float(min(40.0, hit.tilt_deg + rng.uniform(8, 20))),
        azimuth_deg=float(hit.azimuth_deg + rng.uniform(-40, 40)),
    )


def hand_clip(seed: int, seconds: float, width: int = 1280, height: int = 720, fps: int = 30) -> VisitPlan:
    """A clip of ``seconds`` (at least one pass: ~3.5 s) where hands pass in front of and near the board and
    no dart moves."""
    rng = np.random.default_rng([seed, 14_142])
    pause = float(rng.uniform(0.25, 0.5))
    per_pass = 1.0 + 2 * pause + 1.0  # moving in and out, staying, the still after
    passes = max(1, math.floor((seconds - 1.0) / per_pass))
    return VisitPlan(
        _camera(seed, width, height),
        fps=fps,
        takeout=False,
        hand_passes=passes,
        hand_pause_s=pause,
        noise_sigma=float(rng.uniform(1.5, 3.0)),
        total_s=seconds,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: render one seeded visit (or hand-only clip) to OUT_PREFIX.y4m and OUT_PREFIX.json."""
    ap = argparse.ArgumentParser(
        description="Render a seeded darts visit (3 darts and a takeout) as OUT_PREFIX.y4m with its truth "
        "in OUT_PREFIX.json (events: throw, bouncer, fall-out, takeout-started, takeout-finished, hand).",
    )
    ap.add_argument("out_prefix", type=Path, metavar="OUT_PREFIX", help="writes OUT_PREFIX.y4m and .json")
    ap.add_argument("--seed", type=int, default=0, help="picks the camera, darts, hand and noise")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--size", default="1280x720", help="WxH (even)")
    ap.add_argument("--hands-only", type=float, metavar="SECONDS", help="a clip of hands passing, no throw")
    ap.add_argument("--bouncer", action="store_true", help="the 2nd dart bounces out")
    ap.add_argument("--falls-out", action="store_true", help="the 1st dart falls out a second after it stuck")
    ap.add_argument("--knocks", action="store_true", help="the 2nd dart lands by the 1st and knocks it aside")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    if args.hands_only is not None:
        plan = hand_clip(args.seed, args.hands_only, w, h, args.fps)
    else:
        plan = random_visit(
            args.seed, w, h, args.fps, bouncer=args.bouncer, falls_out=args.falls_out, knocks=args.knocks
        )
    t0 = time.perf_counter()
    args.out_prefix.parent.mkdir(parents=True, exist_ok=True)
    y4m, meta = write_clip(render_visit(plan), args.out_prefix)
    events = json.loads(meta.read_text())["events"]
    print(f"wrote {y4m} and {meta} in {time.perf_counter() - t0:.1f} s")
    for e in events:
        print(f"  frame {e['frame']:4d}  {e['kind']:<17} {e['label'] or ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
