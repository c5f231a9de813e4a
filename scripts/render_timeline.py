"""A visit's frames, as recipes, and its truth (scripts/render_visit.py builds one with VisitTimeline).

Each still state of the board (which darts are stuck) is rendered once by render_board.render_scene; a
frame is such a state plus pasted patches (a moving dart, render_flight) and maybe a hand (render_hands).
Frames are made on demand from their recipe with fresh sensor noise, so a clip of 300 full-size frames
needs the memory of a few.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from render_board import (  # noqa: E402
    RenderParams,
    Scene,
    camera_projection,
    jpeg_round_trip,
    render_scene,
    scene_darts,
)
from render_darts import Dart  # noqa: E402
from render_flight import Patch, dart_layer, fall_poses, flight_poses, wobble_pose  # noqa: E402
from render_hands import HandSpec, hand_sprite  # noqa: E402

from desktop_receiver.calibration import board  # noqa: E402
from desktop_receiver.calibration.homography import project  # noqa: E402
from desktop_receiver.calibration.scoring import score_board_point  # noqa: E402

NOISE_POOL = 4  # noise fields; consecutive frames never share one
NOISE_SHIFT = 32  # px: each frame takes its field at a random offset up to this
EVENT_KINDS = ("throw", "bouncer", "fall-out", "takeout-started", "takeout-finished", "hand")


@dataclass(frozen=True)
class TruthEvent:
    """What happens in a clip. ``frame``: the first frame where the board is at rest after it (for
    "takeout-started": the first frame with the hand in view); ``start_frame``: the first frame where
    it shows (the dart flying in, the hand coming into view). Throws, bouncers and fall-outs carry the
    dart's number in the visit (1-3), where its point hit the board (mm and image px) and the score's label
    (desktop_receiver.calibration.scoring; a bouncer scores nothing whatever it hit, a fall-out is
    labelled with the score it had)."""

    kind: str
    frame: int
    start_frame: int
    dart: int | None = None
    tip_mm: tuple[float, float] | None = None
    tip_px: tuple[float, float] | None = None
    label: str | None = None


@dataclass(frozen=True)
class FrameRecipe:
    """One frame: the darts stuck in the board (indices into the visit's darts), patches pasted over
    that still state, and a hand (its spec, palm centre px) drawn last."""

    state: tuple[int, ...]
    patches: tuple[Patch, ...] = ()
    hand: tuple[HandSpec, tuple[float, float]] | None = None


class Frames(Sequence[np.ndarray]):
    """A clip's BGR frames, each made when asked for (the same index always gives the same frame)."""

    def __init__(
        self, recipes: list[FrameRecipe], states: dict[tuple[int, ...], np.ndarray], finish: _Finish
    ):
        self._recipes, self._states, self._finish = recipes, states, finish

    def __len__(self) -> int:
        return len(self._recipes)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]  # no slices: not needed
        if not -len(self) <= i < len(self):
            raise IndexError(f"frame {i} of a {len(self)}-frame clip")
        i %= len(self)
        r = self._recipes[i]
        img = self._states[r.state].copy()
        for patch in r.patches:
            patch.paste(img)
        if r.hand is not None:
            hand_sprite(r.hand[0]).draw(img, r.hand[1])
        return self._finish(img, i)

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))


class _Finish:
    """Per-frame sensor noise (a field from a seeded pool at a per-frame offset), flicker and JPEG."""

    def __init__(self, seed: int, size: tuple[int, int], sigma: float, flicker: float, jpeg_quality: int):
        rng = np.random.default_rng([seed, 271_828])
        shape = (size[1] + NOISE_SHIFT, size[0] + NOISE_SHIFT, 3)
        self._pool = [
            np.round(rng.standard_normal(shape, np.float32) * sigma).astype(np.int16)
            for _ in range(NOISE_POOL)
        ]
        self._seed, self._size, self._flicker, self._jpeg = seed, size, flicker, jpeg_quality

    def __call__(self, img: np.ndarray, i: int) -> np.ndarray:
        rng = np.random.default_rng([self._seed, 7, i])
        dx, dy = (int(v) for v in rng.integers(0, NOISE_SHIFT + 1, 2))
        w, h = self._size
        if self._flicker > 0:
            img = cv2.convertScaleAbs(img, alpha=1 + self._flicker * float(rng.standard_normal()))
        noisy = img.astype(np.int16) + self._pool[i % NOISE_POOL][dy : dy + h, dx : dx + w]
        return jpeg_round_trip(np.clip(noisy, 0, 255).astype(np.uint8), self._jpeg)


class VisitTimeline:
    """A visit's frames, appended segment by segment (still, throw, bouncer, takeout, hand), and truth."""

    def __init__(self, base: RenderParams, darts: Sequence[Dart], fps: int, seed: int):
        if base.lens_k:
            raise ValueError("visits are rendered without a lens (lens_k=0): moving parts are drawn pinhole")
        if not base.has_board:
            raise ValueError("a visit needs a board (has_board=True)")
        self.base, self.darts, self.fps = replace(base, darts=(), jpeg_quality=0), tuple(darts), fps
        self.size = (base.width, base.height)
        self.proj = camera_projection(base)
        self.h = self.proj[:, [0, 1, 3]]
        self.light = scene_darts(replace(base, darts=()))[1]
        self.rng = np.random.default_rng([seed, 1_618])
        self.hands = 0  # hand sprites made so far: each has its own seed
        self.recipes: list[FrameRecipe] = []
        self.truth: list[TruthEvent] = []
        self.scenes: dict[tuple[int, ...], Scene] = {}
        self.state: tuple[int, ...] = ()
        centre = project(self.h, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, -1.0]]))
        self.px_per_mm = float(np.linalg.norm(centre[1] - centre[0]))
        up = centre[2] - centre[0]
        self.up_deg = math.degrees(math.atan2(up[0], -up[1]))  # the board's up in the image, 0 = image up

    def frames(self, noise_sigma: float, flicker: float, jpeg_quality: int) -> Frames:
        """The frames appended so far, noised per frame."""
        finish = _Finish(self.base.seed, self.size, noise_sigma, flicker, jpeg_quality)
        return Frames(self.recipes, {k: s.image for k, s in self.scenes.items()}, finish)

    def _scene(self, state: tuple[int, ...]) -> Scene:
        if state not in self.scenes:
            self.scenes[state] = render_scene(replace(self.base, darts=tuple(self.darts[i] for i in state)))
        return self.scenes[state]

    def _frames_of(self, seconds: float) -> int:
        return max(1, round(seconds * self.fps))

    def _add(self, recipe: FrameRecipe) -> None:
        self._scene(recipe.state)
        self.recipes.append(recipe)

    def still(self, seconds: float) -> None:
        """The board as it is, for ``seconds``."""
        for _ in range(self._frames_of(seconds)):
            self._add(FrameRecipe(self.state))

    def _patch(self, poses, under: tuple[int, ...]) -> tuple[Patch, ...]:
        layer = dart_layer(self.proj, poses, self.light, self.size, self.base.blur_sigma)
        if layer is None:
            return ()
        pixels = np.clip(layer.over(self._scene(under).image), 0, 255).astype(np.uint8)
        return (Patch(layer.x0, layer.y0, pixels),)

    def _fly_in(self, dart: Dart, flight_frames: int) -> int:
        """The dart's frames in the air; returns the first one's index."""
        start = len(self.recipes)
        for k in range(flight_frames, 0, -1):
            self._add(FrameRecipe(self.state, self._patch(flight_poses(dart, k), self.state)))
        return start

    def throw(
        self,
        index: int,
        number: int,
        flight_frames: int,
        wobble_s: float,
        knock: tuple[int, int] | None = None,
    ) -> None:
        """Dart ``index`` flies in, sticks, wobbles and comes to rest; truth: a "throw" at rest. ``knock``:
        (dart in the board, the dart that replaces it) as the new one sticks: an earlier dart knocked."""
        dart = self.darts[index]
        start = self._fly_in(dart, flight_frames)
        if knock is not None:
            self.state = tuple(sorted(knock[1] if i == knock[0] else i for i in self.state))
        before, after = self.state, tuple(sorted((*self.state, index)))
        rest = dart_layer(self.proj, [(dart, np.zeros(3))], self.light, self.size, self.base.blur_sigma)
        bg, stuck = self._scene(before).image, self._scene(after)
        for j in range(self._frames_of(wobble_s)):
            if rest is None:  # all of it outside the frame
                self._add(FrameRecipe(after))
                continue
            t = j / self.fps
            moving = dart_layer(
                self.proj,
                [wobble_pose(dart, t + dt / self.fps) for dt in (0, 0.5)],
                self.light,
                self.size,
                self.base.blur_sigma,
                box=rest.box(),
            )
            ys, xs = rest.slices()
            delta = moving.over(bg) - rest.over(bg)
            pixels = np.clip(stuck.image[ys, xs].astype(np.float32) + delta, 0, 255).astype(np.uint8)
            self._add(FrameRecipe(after, (Patch(rest.x0, rest.y0, pixels),)))
        self.state = after
        truth = next(d for d in stuck.darts if d.dart == dart)
        label = score_board_point(*truth.tip_mm).label
        self.truth.append(
            TruthEvent("throw", len(self.recipes), start, number, truth.tip_mm, truth.tip_px, label)
        )

    def bounce(self, dart: Dart, number: int, flight_frames: int) -> None:
        """A dart flies in, hits, and falls out within a few frames; the board ends as it was."""
        start = self._fly_in(dart, flight_frames)
        hit = 1.5 / self.fps
        t = 0.0
        while t < 0.45:  # s after the hit: by then it has fallen well below the board
            if t < hit:
                patches = self._patch([wobble_pose(dart, t)], self.state)
            else:
                patches = self._patch(fall_poses(dart, t - hit, t - hit + 0.5 / self.fps), self.state)
            self._add(FrameRecipe(self.state, patches))
            t += 1 / self.fps
        tip = project(self.h, np.array([dart.tip]))[0]
        tip_px = (float(tip[0]), float(tip[1]))
        self.truth.append(TruthEvent("bouncer", len(self.recipes), start, number, dart.tip, tip_px, "MISS"))

    def fall_out(self, index: int, number: int) -> None:
        """Dart ``index``, stuck in the board, falls out (its point gave way); the board ends without it."""
        dart = self.darts[index]
        truth = next(d for d in self._scene(self.state).darts if d.dart == dart)
        self.state = tuple(i for i in self.state if i != index)
        start = len(self.recipes)
        t = 0.0
        while t < 0.6:  # s: by then it has fallen out of view below the board
            poses = fall_poses(dart, t, t + 0.5 / self.fps, speed_mm_s=(150.0, 0.0), turn_deg_s=120.0)
            self._add(FrameRecipe(self.state, self._patch(poses, self.state)))
            t += 1 / self.fps
        label = score_board_point(*truth.tip_mm).label
        self.truth.append(
            TruthEvent("fall-out", len(self.recipes), start, number, truth.tip_mm, truth.tip_px, label)
        )

    def _hand(self, spread_deg: float) -> HandSpec:
        """A hand reaching up the board (the player stands below it), turned up to ``spread_deg`` aside."""
        a = math.radians(self.up_deg + self.rng.uniform(-spread_deg, spread_deg))
        d = (math.sin(a), -math.cos(a))
        self.hands += 1
        reach = float(np.hypot(*self.size)) * 1.2
        return HandSpec((self.base.seed, 1_618, self.hands), self.px_per_mm, d, reach)

    def _outside(self, spec: HandSpec, target: np.ndarray) -> np.ndarray:
        """Where the palm is when the hand reaching for ``target`` is just out of the frame."""
        d = np.array(spec.direction)
        with np.errstate(divide="ignore"):
            steps = [(b - target[k]) / -d[k] if d[k] else np.inf for k in (0, 1) for b in (0, self.size[k])]
        to_edge = min(s for s in steps if s > 0)
        return target - d * (to_edge + 300 * self.px_per_mm)

    def _move(self, a: np.ndarray, b: np.ndarray, seconds: float, sink: list[tuple[float, float]]) -> None:
        n = self._frames_of(seconds)
        for k in range(1, n + 1):
            s = k / n
            s = s * s * (3 - 2 * s)  # ease in and out
            p = a + (b - a) * s
            sink.append((float(p[0]), float(p[1])))

    def _hand_frames(
        self, spec: HandSpec, path: list[tuple[float, float]], removals: dict[int, int]
    ) -> tuple[int, int]:
        """Append a hand along ``path`` (palm px per frame), taking dart ``removals[k]`` out at frame k;
        returns the first frame with the hand in view and the first after it has gone."""
        seen = []
        sprite = hand_sprite(spec)
        for k, palm in enumerate(path):
            if k in removals:
                self.state = tuple(i for i in self.state if i != removals[k])
            if sprite.visible(palm, self.size):
                seen.append(len(self.recipes))
            self._add(FrameRecipe(self.state, (), (spec, palm)))
        if not seen:
            raise ValueError("the hand never comes into view")
        return seen[0], seen[-1] + 1

    def takeout(self, pause_s: float) -> None:
        """A hand reaches in, pulls the darts one by one (each while it covers it) and leaves."""
        if not self.state:
            return
        stuck = {d.dart: d for d in self._scene(self.state).darts}
        targets = [np.add(stuck[self.darts[i]].tip_px, stuck[self.darts[i]].rear_px) / 2 for i in self.state]
        spec = self._hand(60)
        outside = self._outside(spec, targets[0])
        path: list[tuple[float, float]] = []
        removals = {}
        here = outside
        for i, target in zip(self.state, targets, strict=True):
            self._move(here, target, 0.45 if here is outside else 0.25, path)
            pause = self._frames_of(pause_s)
            removals[len(path) + pause // 2] = i
            path.extend([(float(target[0]), float(target[1]))] * pause)
            here = target
        self._move(here, outside, 0.45, path)
        first, gone = self._hand_frames(spec, path, removals)
        self.truth.append(TruthEvent("takeout-started", first, first))
        self.truth.append(TruthEvent("takeout-finished", gone, first))

    def hand_pass(self, pause_s: float) -> None:
        """A hand comes near or in front of the board, stays ``pause_s`` and leaves; nothing changes."""
        r = self.rng.uniform(0, 1.3 * board.R_DOUBLE_OUTER)
        target = project(self.h, board.polar_to_board(r, self.rng.uniform(0, 360))[None])[0]
        spec = self._hand(80)
        outside = self._outside(spec, target)
        path: list[tuple[float, float]] = []
        self._move(outside, target, 0.5, path)
        path.extend([(float(target[0]), float(target[1]))] * self._frames_of(pause_s))
        self._move(target, outside, 0.5, path)
        first, gone = self._hand_frames(spec, path, {})
        self.truth.append(TruthEvent("hand", gone, first))
